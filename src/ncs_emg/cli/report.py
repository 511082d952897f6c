"""``ncs-emg report``: one self-contained HTML report of a study (optionally with eligibility)."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from ._common import add_reading_options, read_study_or_values


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def add_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> Callable[[argparse.Namespace], int]:
    """Add the ``report`` subcommand to ``sub`` and return the function that runs it."""
    p = sub.add_parser(
        "report",
        help="a self-contained HTML report of a study (waveforms, segments, criteria verdicts)",
        description="Write one HTML file (inline SVG figures and CSS, no script, no network) that "
        "prints on A4. See docs/report.md.",
    )
    p.add_argument(
        "file", help="study file (native .h5, EDF/EDF+/BDF) or a values CSV (no waveforms)"
    )
    p.add_argument("-o", "--out", required=True, metavar="REPORT.html", help="HTML file to write")
    p.add_argument(
        "--clinical", metavar="C.toml", help="clinical findings: adds the eligibility section"
    )
    add_reading_options(p)

    def run(args: argparse.Namespace) -> int:
        from ..analysis import analyze
        from ..errors import FormatError
        from ..report import render_report
        from ..types import Study

        out = Path(args.out)
        if not out.parent.is_dir():
            raise FormatError(f"{out}: the folder {str(out.parent)!r} does not exist")
        data = read_study_or_values(args, args.file)
        study = data if isinstance(data, Study) else None  # a values CSV has no waveforms
        rep = analyze(data)
        elig = None
        if args.clinical:
            from ..eligibility import assess_eligibility, read_clinical

            elig = assess_eligibility(read_clinical(args.clinical), rep)
        params = {"command": "report", "clinical": args.clinical}
        html = render_report(study, rep, eligibility=elig, file=str(args.file), parameters=params)
        _write_atomic(out, html)
        print(f"report written to {out}", file=sys.stderr)
        return 0

    return run
