"""``ncs-emg simulate``: a simulated study with its ground truth."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

from ._output import json_safe


def add_parser(sub) -> Callable[[argparse.Namespace], int]:
    from ..simulate import STUDY_PRESETS

    p = sub.add_parser(
        "simulate", help="write a simulated study (with its ground truth) for tests and teaching"
    )
    p.add_argument("--preset", choices=sorted(STUDY_PRESETS), default="normal", help="study preset")

    def seed(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            v = -1
        if v < 0:
            raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}")
        return v

    p.add_argument("--seed", type=seed, default=0, help="random seed >= 0 (same seed, same study)")
    p.add_argument("-o", "--output", required=True, help="output file (.h5 native; .edf/.bdf)")
    p.add_argument("--truth", help="also write the ground truth as JSON to this file")

    def run(args: argparse.Namespace) -> int:
        from pathlib import Path

        from ..errors import FormatError
        from ..io import write_study
        from ..simulate import simulate_study

        sim = simulate_study(args.preset, rng=args.seed)
        truth = Path(args.truth) if args.truth else None
        if truth is not None:
            # the truth first: an unwritable truth path fails before any study file exists, and a
            # failed study write removes the truth, so no half-written result is left behind
            doc = {"file": str(args.output), "seed": args.seed, **sim.truth.to_dict()}
            try:
                truth.write_text(json.dumps(json_safe(doc), indent=1) + "\n")
            except OSError as exc:
                raise FormatError(f"--truth {args.truth}: cannot write: {exc.strerror}") from exc
        try:
            path = write_study(sim.study, args.output)
        except BaseException:
            if truth is not None:
                truth.unlink(missing_ok=True)
            raise
        print(
            f"{path}: simulated study {args.preset!r} (seed {args.seed}), "
            f"{len(sim.study.nerves)} nerves" + (f"; truth in {args.truth}" if args.truth else "")
        )
        return 0

    return run
