"""The ``ncs-emg`` command.

``main(argv=None) -> int``: exit 0 on success, 1 for bad data or an unreadable file (one line on
stderr, no traceback), 2 for usage errors (argparse). Results go to stdout; logs to stderr.

Subcommands register themselves in ``_COMMANDS``: each entry adds its parser and returns the function
that runs it. Add new subcommands with their own ``_add_*`` function.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import logging
import math
import sys
from collections.abc import Callable, Sequence
from typing import Any

from . import __version__
from .errors import NcsEmgError

__all__ = ["main"]

log = logging.getLogger(__name__)


# ---- output helpers ------------------------------------------------------------------------------


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else ""
    if isinstance(v, float):
        return "NaN" if math.isnan(v) else f"{v:.3f}"
    return str(v)


def format_table(
    rows: list[dict[str, Any]], columns: Sequence[str], headers: Sequence[str] | None = None
) -> str:
    """Rows of dicts as an aligned text table (floats to 3 decimals, NaN as "NaN")."""
    headers = list(headers or columns)
    cells = [[_fmt(r.get(c)) for c in columns] for r in rows]
    widths = [max([len(h)] + [len(row[i]) for row in cells]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(headers, widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in cells]
    return "\n".join(lines)


def format_csv(rows: list[dict[str, Any]], columns: Sequence[str]) -> str:
    """Rows of dicts as CSV (NaN written as empty cells)."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: ("" if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()})
    return buf.getvalue()


def json_safe(obj: Any) -> Any:
    """Replace NaN/inf floats by None recursively (JSON has no NaN)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    return obj


# ---- info ----------------------------------------------------------------------------------------


def _add_info(sub) -> Callable[[argparse.Namespace], int]:
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

    def run(args: argparse.Namespace) -> int:
        from .io import read_study, sniff_format

        fmt = sniff_format(args.file)
        edf_info = _edf_detail(args) if fmt in ("edf", "bdf") else None
        try:
            study = read_study(args.file)
        except NcsEmgError as exc:
            if edf_info is None:
                raise
            return _edf_not_a_study(args, fmt, edf_info, exc)
        nerves = []
        for n in study.nerves:
            nerves.append(
                {
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
            )
        info = {
            "file": str(args.file),
            "format": fmt,
            "subject_id": study.subject_id,
            "date": study.date,
            "device": study.device,
            "source": study.source,
            "nerves": nerves,
        }
        if edf_info is not None:
            info["edf"] = edf_info
        if args.format == "json":
            print(json.dumps(json_safe(info), indent=2, default=str))
            return 0
        print(f"file:     {args.file} ({fmt})")
        print(
            f"subject:  {study.subject_id}   date: {study.date or '-'}   device: {study.device or '-'}"
        )
        print(f"nerves:   {len(study.nerves)}")
        rows = []
        for ni, n in enumerate(study.nerves):
            for s in n.sites:
                rows.append(
                    {
                        "#": ni,
                        "nerve": n.label,
                        "site": s.name,
                        "distance_mm": s.distance_mm,
                        "segment": s.segment,
                        "sweeps": s.sweeps.n_sweeps,
                        "samples": s.sweeps.n_samples,
                        "sfreq_hz": s.sweeps.sfreq_hz,
                        "t0_ms": s.sweeps.t0_ms,
                    }
                )
            if n.fwaves is not None:
                rows.append(
                    {
                        "#": ni,
                        "nerve": n.label,
                        "site": "F-wave train",
                        "sweeps": n.fwaves.n_sweeps,
                        "samples": n.fwaves.n_samples,
                        "sfreq_hz": n.fwaves.sfreq_hz,
                        "t0_ms": n.fwaves.t0_ms,
                    }
                )
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
        print(format_table(rows, cols))
        return 0

    return run


# ---- EDF detail for info, and convert --------------------------------------------------------------


def _edf_detail(args: argparse.Namespace) -> dict[str, Any]:
    """EDF/BDF header, signals, records, annotations and issues; printed as tables for --format table."""
    from .io import read_edf

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


def _edf_not_a_study(args, fmt: str, edf_info: dict, exc: Exception) -> int:
    if args.format == "json":
        doc = {"file": str(args.file), "format": fmt, "edf": edf_info, "study_error": str(exc)}
        print(json.dumps(json_safe(doc), indent=2, default=str))
    else:
        print(f"study:    not readable as a study: {exc}")
    return 0


def _add_convert(sub) -> Callable[[argparse.Namespace], int]:
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

        from .errors import ParameterError
        from .io import read_study, sniff_format, write_study

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


# ---- measure -------------------------------------------------------------------------------------

_MEASURE_COLUMNS = [
    "nerve",
    "side",
    "muscle",
    "site",
    "sweep",
    "onset_latency_ms",
    "neg_peak_latency_ms",
    "neg_peak_amp_mv",
    "peak_to_peak_amp_mv",
    "neg_area_mv_ms",
    "total_area_mv_ms",
    "neg_duration_ms",
    "total_duration_ms",
    "baseline_mv",
    "noise_mv",
    "no_response",
    "saturated",
]
_TABLE_HEADERS = [
    "nerve",
    "side",
    "muscle",
    "site",
    "sweep",
    "onset_ms",
    "negpk_ms",
    "neg_amp_mv",
    "p2p_mv",
    "neg_area",
    "tot_area",
    "neg_dur_ms",
    "tot_dur_ms",
    "base_mv",
    "noise_mv",
    "no_resp",
    "sat",
]


def _add_measure(sub) -> Callable[[argparse.Namespace], int]:
    from .measure import onset_methods

    p = sub.add_parser("measure", help="measure every CMAP of every nerve, site and sweep")
    p.add_argument("file", help="study file (native .h5, EDF/EDF+/BDF)")
    p.add_argument(
        "--format",
        choices=("table", "json", "csv"),
        default="table",
        help="output format (table and json include an F-wave summary; csv holds one row per CMAP "
        "sweep only, one schema per file: use `ncs-emg fwave --format csv` for F-wave trains)",
    )
    p.add_argument(
        "--method", choices=sorted(onset_methods()), default="threshold", help="onset detector"
    )

    def run(args: argparse.Namespace) -> int:
        from .io import read_study
        from .measure import measure_study

        study = read_study(args.file)
        results = measure_study(study, method=args.method)
        if args.format == "json":
            doc = {
                "file": str(args.file),
                "ncs_emg_version": __version__,
                "subject_id": study.subject_id,
                "method": args.method,
                "sites": [
                    {
                        "nerve": r.nerve.nerve,
                        "side": r.nerve.side,
                        "muscle": r.nerve.muscle,
                        "site": r.site_name,
                        "site_index": r.site_index,
                        "distance_mm": r.distance_mm,
                        "segment": r.segment,
                        "measures": r.measures.to_dict(),
                    }
                    for r in results
                ],
            }
            doc["fwaves"] = [_fwave_record(ni, n, fm) for ni, n, fm in _fwave_results(study)]
            print(json.dumps(json_safe(doc), indent=2))
            return 0
        rows = [row for r in results for row in r.rows()]
        if args.format == "csv":
            cols = list(rows[0].keys()) if rows else _MEASURE_COLUMNS
            sys.stdout.write(format_csv(rows, cols))
            return 0
        print(f"{args.file}: subject {study.subject_id}, onset method {args.method!r}")
        print(format_table(rows, _MEASURE_COLUMNS, _TABLE_HEADERS))
        frows = [_fwave_row(ni, n, fm) for ni, n, fm in _fwave_results(study)]
        if frows:
            print("\nF-waves (one row per train; see `ncs-emg fwave` for per-sweep values)")
            print(format_table(frows, _FWAVE_COLUMNS, _FWAVE_HEADERS))
        return 0

    return run


# ---- simulate ------------------------------------------------------------------------------------


def _add_simulate(sub) -> Callable[[argparse.Namespace], int]:
    from .simulate import STUDY_PRESETS

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

        from .errors import FormatError
        from .io import write_study
        from .simulate import simulate_study

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


# ---- fwave ---------------------------------------------------------------------------------------

_FWAVE_COLUMNS = [
    "nerve",
    "side",
    "muscle",
    "n_sweeps",
    "n_present",
    "persistence_pct",
    "min_latency_ms",
    "mean_latency_ms",
    "median_latency_ms",
    "max_latency_ms",
    "chronodispersion_ms",
    "mean_amplitude_mv",
    "f_m_ratio_pct",
    "repeater_pct",
    "n_a_waves",
    "interpretable",
    "reason",
]
_FWAVE_HEADERS = [
    "nerve",
    "side",
    "muscle",
    "sweeps",
    "F",
    "persist_%",
    "min_ms",
    "mean_ms",
    "median_ms",
    "max_ms",
    "chrono_ms",
    "amp_mv",
    "F/M_%",
    "repeat_%",
    "A",
    "ok",
    "reason",
]


def _fwave_results(study, **kwargs: Any) -> list:
    """(nerve index, nerve, FWaveMeasures or an error message) for every nerve with an F train."""
    from .fwave import measure_nerve_fwaves

    out = []
    for ni, n in enumerate(study.nerves):
        if n.fwaves is None:
            continue
        try:
            out.append((ni, n, measure_nerve_fwaves(n, **kwargs)))
        except NcsEmgError as exc:  # one bad train must not hide the others
            out.append((ni, n, str(exc)))
    return out


def _fwave_row(ni: int, n, fm) -> dict[str, Any]:
    head = {"nerve_index": ni, "nerve": n.nerve, "side": n.side, "muscle": n.muscle}
    if isinstance(fm, str):
        return {**head, "interpretable": False, "reason": fm}
    return {**head, **fm.summary()}


def _fwave_record(ni: int, n, fm) -> dict[str, Any]:
    head = {"nerve_index": ni, "nerve": n.nerve, "side": n.side, "muscle": n.muscle}
    if isinstance(fm, str):
        return {**head, "error": fm}
    return {**head, "measures": fm.to_dict()}


def _add_fwave(sub) -> Callable[[argparse.Namespace], int]:
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

    def run(args: argparse.Namespace) -> int:
        from .io import read_study

        study = read_study(args.file)
        results = _fwave_results(study, threshold_mv=args.threshold_mv)
        if args.format == "json":
            doc = {
                "file": str(args.file),
                "ncs_emg_version": __version__,
                "subject_id": study.subject_id,
                "nerves": [_fwave_record(ni, n, fm) for ni, n, fm in results],
            }
            print(json.dumps(json_safe(doc), indent=2))
            return 0
        if args.sweeps:
            cols = ["nerve", "side", "muscle", "sweep", "present", "latency_ms", "amplitude_mv"]
            cols += ["peak_latency_ms", "onset_hidden", "repeater"]
            rows = []
            for _ni, n, fm in results:
                if isinstance(fm, str):
                    continue
                for i in range(fm.n_sweeps):
                    rows.append(
                        {
                            "nerve": n.nerve,
                            "side": n.side,
                            "muscle": n.muscle,
                            "sweep": i,
                            "present": bool(fm.present[i]),
                            "latency_ms": float(fm.latency_ms[i]),
                            "amplitude_mv": float(fm.amplitude_mv[i]),
                            "peak_latency_ms": float(fm.peak_latency_ms[i]),
                            "onset_hidden": bool(fm.onset_hidden[i]),
                            "repeater": bool(fm.repeater[i]),
                        }
                    )
        else:
            cols = _FWAVE_COLUMNS
            rows = [_fwave_row(ni, n, fm) for ni, n, fm in results]
        if args.format == "csv":
            sys.stdout.write(format_csv(rows, cols))
            return 0
        print(f"{args.file}: subject {study.subject_id}, F-wave trains: {len(results)}")
        if rows:
            print(format_table(rows, cols, None if args.sweeps else _FWAVE_HEADERS))
        return 0

    return run


# ---- main ----------------------------------------------------------------------------------------

_COMMANDS: list[Callable[[Any], Callable[[argparse.Namespace], int]]] = [
    _add_info,
    _add_measure,
    _add_simulate,
    _add_fwave,
    _add_convert,
]


def build_parser() -> tuple[
    argparse.ArgumentParser, dict[str, Callable[[argparse.Namespace], int]]
]:
    """The argument parser and the function behind each subcommand."""
    parser = argparse.ArgumentParser(
        prog="ncs-emg",
        description="Nerve conduction study signal processing (research tool, not a medical device).",
    )
    parser.add_argument("--version", action="version", version=f"ncs_emg {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more log output on stderr"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="only errors on stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    runners = {}
    for add in _COMMANDS:
        before = set(sub.choices)
        run = add(sub)
        for name in set(sub.choices) - before:
            runners[name] = run
    return parser, runners


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``ncs-emg`` command; returns the exit status (0 ok, 1 data/file error, 2 usage)."""
    parser, runners = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: 0 for --help/--version, 2 for usage errors
        return int(exc.code or 0)
    level = (
        logging.ERROR
        if args.quiet
        else (
            logging.DEBUG if args.verbose > 1 else logging.INFO if args.verbose else logging.WARNING
        )
    )
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    logging.getLogger("ncs_emg").setLevel(level)
    try:
        return runners[args.command](args)
    except NcsEmgError as exc:
        print(f"ncs-emg {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # e.g. `ncs-emg measure f | head`
        return 0
