"""``ncs-emg info``: what a study file holds (and, for EDF/BDF, its header, signals, annotations, issues)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import NcsEmgError
from ._common import add_reading_options, read_input
from ._output import format_table, json_safe

if TYPE_CHECKING:
    from ..types import Nerve, Study


def add_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> Callable[[argparse.Namespace], int]:
    """Add the ``info`` subcommand to ``sub`` and return the function that runs it."""
    p = sub.add_parser("info", help="show what a study file holds")
    p.add_argument("file", help="study file (native .h5, EDF/EDF+/BDF)")
    p.add_argument("--format", choices=("table", "json"), default="table", help="output format")
    p.add_argument(
        "--annotations",
        type=int,
        default=20,
        metavar="N",
        help="EDF/BDF: show the first N annotations (-1: all)",
    )
    add_reading_options(p)
    return _run


def _run(args: argparse.Namespace) -> int:
    from ..io import sniff_format

    fmt = sniff_format(args.file)
    edf_info = _edf_detail(args) if fmt in ("edf", "bdf") else None
    try:
        study, _, issues = read_input(args)  # the reader's issues go to stderr
    except NcsEmgError as exc:
        if edf_info is None:
            raise
        return _edf_not_a_study(args, fmt, edf_info, exc)
    if args.format == "json":
        info = {
            "file": str(args.file),
            "format": fmt,
            "subject_id": study.subject_id,
            "date": study.date,
            "device": study.device,
            "source": study.source,
            "issues": issues,
            "nerves": [_nerve_dict(n) for n in study.nerves],
        }
        if edf_info is not None:
            info["edf"] = edf_info
        print(json.dumps(json_safe(info), indent=2, default=str))
        return 0
    print(f"file:     {args.file} ({fmt})")
    print(
        f"subject:  {study.subject_id}   date: {study.date or '-'}   device: {study.device or '-'}"
    )
    print(f"nerves:   {len(study.nerves)}")
    cols = [
        "#",
        "nerve",
        "site",
        "distance_mm",
        "segment",
        "sweeps",
        "samples",
        "sfreq_hz",
        "t0_ms",
    ]
    print(format_table(_site_rows(study), cols))
    return 0


def _nerve_dict(n: Nerve) -> dict[str, Any]:
    return {
        "nerve": n.nerve,
        "side": n.side,
        "muscle": n.muscle,
        "kind": n.kind,
        "lff_hz": n.lff_hz,
        "hff_hz": n.hff_hz,
        "temperature_c": n.temperature_c,
        "sites": [
            {
                "name": s.name,
                "distance_mm": s.distance_mm,
                "segment": s.segment,
                "n_sweeps": s.sweeps.n_sweeps,
                "n_samples": s.sweeps.n_samples,
                "sfreq_hz": s.sweeps.sfreq_hz,
                "t0_ms": s.sweeps.t0_ms,
            }
            for s in n.sites
        ],
        "fwave_sweeps": None if n.fwaves is None else n.fwaves.n_sweeps,
    }


def _site_rows(study: Study) -> list[dict[str, Any]]:
    rows = []
    for ni, n in enumerate(study.nerves):
        for s in n.sites:
            sw = s.sweeps
            rows.append(
                {"#": ni, "nerve": n.label, "site": s.name, "distance_mm": s.distance_mm,
                 "segment": s.segment, "sweeps": sw.n_sweeps, "samples": sw.n_samples,
                 "sfreq_hz": sw.sfreq_hz, "t0_ms": sw.t0_ms}
            )  # fmt: skip
        if n.fwaves is not None:
            fw = n.fwaves
            rows.append(
                {"#": ni, "nerve": n.label, "site": "F-wave train", "sweeps": fw.n_sweeps,
                 "samples": fw.n_samples, "sfreq_hz": fw.sfreq_hz, "t0_ms": fw.t0_ms}
            )  # fmt: skip
    return rows


def _edf_detail(args: argparse.Namespace) -> dict[str, Any]:
    """EDF/BDF header, signals, records, annotations and issues; printed as tables for --format table."""
    from ..io import read_edf

    rec = read_edf(args.file)
    n_ann = None if args.annotations < 0 else args.annotations
    d = rec.to_dict(max_annotations=n_ann)
    if args.format != "table":
        return d
    h = d["header"]
    print(f"EDF file: {args.file} ({d['file_type']})")
    print(f"patient:   {h['patient_id']!r}")
    print(f"recording: {h['recording_id']!r}")
    print(f"start:     {h['start'] or '-'}   (fields {h['startdate']!r} {h['starttime']!r})")
    print(
        f"records:   {d['n_records']} of {d['record_duration_s']} s (header claims "
        f"{h['n_records_claimed']}), {'continuous' if d['is_continuous'] else 'discontinuous'}"
    )
    print(f"signals:   {len(d['signals'])} (+ {len(d['annotation_signals'])} annotation signals)")
    cols = ["index", "label", "unit", "sfreq_hz", "samples_per_record", "physical_min",
            "physical_max", "digital_min", "digital_max", "prefilter", "calibrated"]  # fmt: skip
    heads = ["#", "label", "unit", "sfreq_hz", "spr", "phys_min", "phys_max", "dig_min", "dig_max",
             "prefilter", "calibrated"]  # fmt: skip
    print(format_table(d["signals"], cols, heads))
    shown = len(d["annotations"])
    print(
        f"annotations: {d['n_annotations']}"
        + (f" (first {shown})" if shown < d["n_annotations"] else "")
    )
    if d["annotations"]:
        rows = [dict(a, text=a["text"][:70]) for a in d["annotations"]]
        print(format_table(rows, ["record", "onset_s", "duration_s", "text"]))
    print(f"issues:    {len(d['issues'])}")
    for i in rec.issues:
        print(f"  - {i}")
    print()
    return d


def _edf_not_a_study(args: argparse.Namespace, fmt: str, edf_info: dict, exc: Exception) -> int:
    if args.format == "json":
        doc = {"file": str(args.file), "format": fmt, "edf": edf_info, "study_error": str(exc)}
        print(json.dumps(json_safe(doc), indent=2, default=str))
    else:
        print(f"study:    not readable as a study: {exc}")
    return 0
