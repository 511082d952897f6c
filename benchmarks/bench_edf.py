"""EDF reading speed: ncs_emg against edfio, pyEDFlib, MNE and the raw floor (np.fromfile + scaling).

    python benchmarks/bench_edf.py [--repeats-small 50] [--repeats-large 10]

Cases (files generated at run time in a temporary folder):

* small: EDF+C, 8 signals, 2 s at 20 kHz (an NCS-sized file), 1-s records;
* small-1k: EDF+C, 8 signals, 2 s at 1 kHz: the fixed per-file cost (header parsing) dominates;
* large: EDF+C, 16 signals, 60 s at 20 kHz, 1-s records;
* edfd-study: EDF+D written by ``write_study``, one nerve, 4 sites x 10 sweeps of 45 ms at 20 kHz,
  read into a Study by ``read_study`` (the other readers cannot map EDF+D records to sweeps; edfio
  reading the same file as if continuous is shown for scale).

Every reader must deliver float64 physical values of every signal (lazy readers are forced to). Each
reader is warmed up once outside the timing, then the readers are timed round robin; the table gives median and min over the repeats and the
ratio of the median to edfio's and to the raw floor's median, all measured in the same run.
"""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

import ncs_emg
from ncs_emg import Nerve, Site, Study, Sweeps
from ncs_emg.io import EdfSignal, read_edf, write_edf


def make_continuous(path: Path, n_sig: int, seconds: int, fs: int, rng) -> None:
    sigs = [
        EdfSignal.from_data(rng.normal(0, 200, seconds * fs), fs, label=f"EMG{i}", unit="uV")
        for i in range(n_sig)
    ]
    anns = [(0.5 + k, None, "Stimulus right wrist 0.2ms x 20mA") for k in range(seconds)]
    write_edf(path, sigs, file_type="EDF+C", record_duration_s=1, annotations=anns)


def make_study(path: Path, rng) -> None:
    sites = tuple(
        Site(name, Sweeps(rng.normal(0, 1, (10, 900)), 20000.0, -5.0), d, seg, 25.0, 0.2)
        for name, d, seg in (
            ("wrist", 70.0, "distal"),
            ("elbow", 230.0, "forearm"),
            ("axilla", 110.0, "upper arm"),
            ("erb", 180.0, "plexus"),
        )
    )
    ncs_emg.write_study(Study((Nerve("median", "right", "APB", sites=sites),)), path)


def floor_reader(path: Path):
    """The raw floor: header values known in advance, one read of the data, per-signal scaling."""
    rec = read_edf(path)  # outside the timing
    hdr = 256 * (rec.header.n_signals + 1)
    per_record = (path.stat().st_size - hdr) // rec.n_records // 2  # int16 words per record
    spr = [s.samples_per_record for s in rec.signals]
    offs = np.cumsum([0] + spr)[:-1]
    gains = [s.gain for s in rec.signals]
    offsets = [s.offset for s in rec.signals]

    def read():
        # open once, skip the known header, one read of all records (np.fromfile(path, offset=)
        # costs ~0.3 ms more per call than reading from an open handle, which made the floor unfair)
        with open(path, "rb") as fh:
            fh.seek(hdr)
            a = np.fromfile(fh, dtype="<i2").reshape(-1, per_record)
        out = []
        for o, n, g, c in zip(offs, spr, gains, offsets, strict=True):
            x = np.multiply(a[:, o : o + n], g)  # one allocation, scaled in place
            x += c
            out.append(x.reshape(-1))
        return out

    return read


def readers(path: Path) -> dict:
    import edfio
    import pyedflib

    out = {
        "ncs_emg": lambda: [s.data for s in read_edf(path).signals],
        "edfio": lambda: [s.data for s in edfio.read_edf(path).signals],
    }

    def pyed():
        r = pyedflib.EdfReader(str(path))
        try:
            return [r.readSignal(i) for i in range(r.signals_in_file)]
        finally:
            r.close()

    out["pyEDFlib"] = pyed
    try:
        import mne

        mne.set_log_level("ERROR")
        out["MNE"] = lambda: mne.io.read_raw_edf(path, preload=True, verbose="error").get_data()
    except ImportError:
        print("MNE is not installed: skipped (pip install -e '.[bench]')")
    out["raw floor"] = floor_reader(path)
    return out


def timeit(fns: dict, repeats: int) -> dict[str, list[float]]:
    """Warm each reader up once, then time them round robin (machine noise hits all alike)."""
    for fn in fns.values():
        fn()
    ts: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeats):
        for k, fn in fns.items():
            t = time.perf_counter()
            fn()
            ts[k].append(time.perf_counter() - t)
    return ts


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats-small", type=int, default=50)
    ap.add_argument("--repeats-large", type=int, default=10)
    ap.add_argument("--repeats-study", type=int, default=50)
    args = ap.parse_args(argv)
    rng = np.random.default_rng(0)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cases = [
            ("small (8 x 2 s, 20 kHz)", tmp / "small.edf", 8, 2, 20000, args.repeats_small),
            ("small-1k (8 x 2 s, 1 kHz)", tmp / "small1k.edf", 8, 2, 1000, args.repeats_small),
            ("large (16 x 60 s, 20 kHz)", tmp / "large.edf", 16, 60, 20000, args.repeats_large),
        ]
        for name, path, n_sig, sec, fs, reps in cases:
            make_continuous(path, n_sig, sec, fs, rng)
            res = timeit(readers(path), reps)
            base = statistics.median(res["edfio"])
            floor = statistics.median(res["raw floor"])
            for k, ts in res.items():
                med = statistics.median(ts)
                rows.append((name, k, med, min(ts), med / base, med / floor, reps))
        path = tmp / "study.edf"
        make_study(path, rng)
        import edfio

        res = timeit(
            {
                "ncs_emg read_study": lambda: ncs_emg.read_study(path, sidecar=None),
                "ncs_emg read_edf": lambda: [s.data for s in read_edf(path).signals],
                "edfio (as continuous)": lambda: [s.data for s in edfio.read_edf(path).signals],
            },
            args.repeats_study,
        )
        base = statistics.median(res["edfio (as continuous)"])
        for k, ts in res.items():
            med = statistics.median(ts)
            rows.append(
                (
                    "EDF+D study (40 sweeps)",
                    k,
                    med,
                    min(ts),
                    med / base,
                    float("nan"),
                    args.repeats_study,
                )
            )
    print(
        f"# EDF reading, {platform.machine()} {platform.python_version()}, numpy {np.__version__}"
    )
    print("| case | reader | median ms | min ms | / edfio | / raw floor | repeats |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for case, k, med, mn, r1, r2, reps in rows:
        r2s = "-" if math.isnan(r2) else f"{r2:.2f}"
        print(f"| {case} | {k} | {med * 1e3:.2f} | {mn * 1e3:.2f} | {r1:.2f} | {r2s} | {reps} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
