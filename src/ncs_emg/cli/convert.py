"""``ncs-emg convert``: between EDF/EDF+/BDF and the native ``.h5``."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


def add_parser(sub) -> Callable[[argparse.Namespace], int]:
    p = sub.add_parser(
        "convert", help="convert a study between EDF/EDF+/BDF and the native .h5 format"
    )
    p.add_argument("input", help="study file (native .h5, EDF/EDF+/BDF)")
    p.add_argument("output", help="output file: .h5/.hdf5 (native), .edf (EDF+D) or .bdf (BDF+D)")
    p.add_argument("--sidecar", help="EDF input: sidecar JSON (default: <input>.json if present)")
    p.add_argument(
        "--display-polarity",
        action="store_true",
        help="EDF input: the export is in display polarity (negative up); flip once",
    )
    p.add_argument("--pre-ms", type=float, help="continuous EDF input: ms cut before each stimulus")
    p.add_argument("--post-ms", type=float, help="continuous EDF input: ms cut after each stimulus")
    p.add_argument("--trigger", help="continuous EDF input: label of the trigger signal")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output file")

    def run(args: argparse.Namespace) -> int:
        from pathlib import Path

        from ..errors import ParameterError
        from ..io import read_study, sniff_format, write_study

        src, dst = Path(args.input), Path(args.output)
        if dst.exists() and not args.overwrite:
            raise ParameterError(f"output {str(dst)!r} exists; pass --overwrite to replace it")
        if dst.exists() and src.resolve() == dst.resolve():
            raise ParameterError("output: must differ from the input file")
        kw: dict[str, Any] = {}
        if args.sidecar:
            kw["sidecar"] = args.sidecar
        if args.display_polarity:
            kw["display_polarity"] = True
        for name in ("pre_ms", "post_ms"):
            if getattr(args, name) is not None:
                kw[name] = getattr(args, name)
        if args.trigger:
            kw["trigger_signal"] = args.trigger
        fmt = sniff_format(src)
        if kw and fmt == "hdf5":
            raise ParameterError(f"options {sorted(kw)} apply to EDF/BDF input only")
        study = read_study(src, **kw)
        write_study(study, dst)
        n_sw = sum(s.sweeps.n_sweeps for n in study.nerves for s in n.sites) + sum(
            n.fwaves.n_sweeps for n in study.nerves if n.fwaves is not None
        )
        print(f"{src} ({fmt}) -> {dst}: {len(study.nerves)} nerves, {n_sw} sweeps")
        for issue in study.source.get("issues", []) if fmt != "hdf5" else []:
            log.warning("%s: %s", src, issue)
        return 0

    return run
