"""``ncs-emg fwave``: F-wave analysis of every train."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._version import __version__
from ..errors import NcsEmgError
from ._common import add_reading_options, read_input
from ._output import format_csv, format_table, json_safe

if TYPE_CHECKING:
    from ..fwave import FWaveMeasures
    from ..types import Nerve, Study

#: (nerve index, nerve, the train's measures or the message of the error that stopped them)
FWaveResult = tuple[int, "Nerve", "FWaveMeasures | str"]


def _columns(kind: str) -> tuple[list[str], list[str]]:
    """Column names and table headers from the F-wave result metadata (``fwave_columns``)."""
    from ..fwave_results import fwave_columns

    cols = fwave_columns(kind, table=True)
    return [c["name"] for c in cols], [c["header"] for c in cols]


_TRAIN_COLS, _TRAIN_HEADERS = _columns("train")
_SWEEP_COLS, _SWEEP_HEADERS = _columns("sweep")
_IDS = ["nerve", "side", "muscle"]
#: Per-train columns of the F-wave table/CSV and their table headers (derived from the results).
FWAVE_COLUMNS = _IDS + _TRAIN_COLS + ["n_a_waves", "interpretable", "reason"]
FWAVE_HEADERS = _IDS + _TRAIN_HEADERS + ["A", "ok", "reason"]
#: Per-sweep columns (``--sweeps``) and headers.
FWAVE_SWEEP_COLUMNS = _IDS + ["sweep"] + _SWEEP_COLS
FWAVE_SWEEP_HEADERS = _IDS + ["sweep"] + _SWEEP_HEADERS


def fwave_results(study: Study, **kwargs: Any) -> list[FWaveResult]:
    """(nerve index, nerve, FWaveMeasures or an error message) for every nerve with an F train.

    Trains whose F search ends before 150 % of the nerve's minimal-F-latency ULN are marked not
    interpretable (``normative.required_f_sweep_end_ms``).
    """
    from ..fwave import measure_nerve_fwaves
    from ..normative import required_f_sweep_end_ms

    out: list[FWaveResult] = []
    for ni, n in enumerate(study.nerves):
        if n.fwaves is None:
            continue
        try:
            end = required_f_sweep_end_ms(n.nerve)
            fm = measure_nerve_fwaves(n, min_sweep_end_ms=end, **kwargs)
            if fm is not None:  # None only for a nerve without a train, skipped above
                out.append((ni, n, fm))
        except NcsEmgError as exc:  # one bad train must not hide the others
            out.append((ni, n, str(exc)))
    return out


def fwave_row(ni: int, n: Nerve, fm: FWaveMeasures | str) -> dict[str, Any]:
    """One table/CSV row of a nerve's F-wave summary (or its error message as the reason)."""
    head = {"nerve_index": ni, "nerve": n.nerve, "side": n.side, "muscle": n.muscle}
    if isinstance(fm, str):
        return {**head, "interpretable": False, "reason": fm}
    return {**head, **fm.summary()}


def fwave_record(ni: int, n: Nerve, fm: FWaveMeasures | str) -> dict[str, Any]:
    """One JSON record of a nerve's F-wave measures (or its error message)."""
    head = {"nerve_index": ni, "nerve": n.nerve, "side": n.side, "muscle": n.muscle}
    if isinstance(fm, str):
        return {**head, "error": fm}
    return {**head, "measures": fm.to_dict()}


def add_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> Callable[[argparse.Namespace], int]:
    """Add the ``fwave`` subcommand to ``sub`` and return the function that runs it."""
    p = sub.add_parser("fwave", help="F-wave analysis of every nerve with an F-wave train")
    p.add_argument("file", help="study file (native .h5, EDF/EDF+/BDF)")
    p.add_argument(
        "--format", choices=("table", "json", "csv"), default="table", help="output format"
    )
    p.add_argument(
        "--threshold-mv",
        type=float,
        default=0.04,
        help="peak-to-peak detection threshold in mV (default 0.04 = 40 uV; 0.02 also common)",
    )
    p.add_argument(
        "--sweeps", action="store_true", help="table/csv: one row per sweep instead of per train"
    )
    add_reading_options(p)

    def run(args: argparse.Namespace) -> int:
        study, _, issues = read_input(args)  # the reader's issues go to stderr
        results = fwave_results(study, threshold_mv=args.threshold_mv)
        if args.format == "json":
            doc = {
                "file": str(args.file),
                "ncs_emg_version": __version__,
                "subject_id": study.subject_id,
                "issues": issues,
                "nerves": [fwave_record(ni, n, fm) for ni, n, fm in results],
            }
            print(json.dumps(json_safe(doc), indent=2))
            return 0
        if args.sweeps:
            cols, headers = FWAVE_SWEEP_COLUMNS, FWAVE_SWEEP_HEADERS
            rows = [
                {"nerve": n.nerve, "side": n.side, "muscle": n.muscle, **fm.sweep(i)}
                for _ni, n, fm in results
                if not isinstance(fm, str)
                for i in range(fm.n_sweeps)
            ]
        else:
            cols, headers = FWAVE_COLUMNS, FWAVE_HEADERS
            rows = [fwave_row(ni, n, fm) for ni, n, fm in results]
        if args.format == "csv":
            sys.stdout.write(format_csv(rows, cols))
            return 0
        print(f"{args.file}: subject {study.subject_id}, F-wave trains: {len(results)}")
        if rows:
            print(format_table(rows, cols, headers))
        return 0

    return run
