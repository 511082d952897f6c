"""Batch throughput, parent memory, and report render time.

Run from the repository root: ``python benchmarks/bench_batch.py [--n 1000] [--repeats 3]``.

1. ``--n`` small study files (one simulated nerve each, 3-4 sites, 1 sweep per site; 24 distinct
   simulations written under distinct subject ids, so every file has its own content hash) are
   generated into a temporary folder at run time.
2. Throughput of stage ``analyze`` (read, ``ncs_emg.analyze``, tidy rows): a plain serial loop in this
   process (the baseline), ``ncs_emg.batch.run`` on the local pool with 1 and 2 workers, and on a Dask
   ``LocalCluster`` with 2 single-threaded worker processes; each run into a fresh output folder and
   including the Parquet tables; warm-up (numba cache, imports) outside the timing; median and min of
   ``--repeats``; ratios to the serial loop's median.
3. Parent memory: ``batch.run`` (2 workers) on the first 100 and on all files, each in a fresh
   interpreter: ``ru_maxrss`` (peak resident set) and the tracemalloc peak of Python allocations during
   the run.
4. Report: ``render_report`` of a simulated 8-nerve study (analysis done beforehand), median of 5 after
   a warm-up, wall-clock and CPU time of this process (the CPU time is what the machine's other load
   does not inflate); and analyze + render together.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import ncs_emg
from ncs_emg.batch import run as run_batch
from ncs_emg.batch.stages import process_file


def make_files(folder: Path, n: int) -> list[Path]:
    """``n`` one-nerve study files (24 distinct simulations, distinct subject ids)."""
    nerves = []
    for i in range(24):
        name = ("median", "ulnar", "peroneal", "tibial")[i % 4]
        sim = ncs_emg.simulate_nerve(name, block_fraction=0.5 * (i % 3 == 0), rng=i)
        nerves.append(sim.nerve)
    files = []
    for i in range(n):
        p = folder / f"s{i:05d}.h5"
        ncs_emg.write_study(ncs_emg.Study((nerves[i % 24],), subject_id=f"bench-{i:05d}"), p)
        files.append(p)
    return files


def timed(fn, repeats: int) -> tuple[float, float]:
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return float(np.median(ts)), float(np.min(ts))


def serial(files: list[Path]) -> None:
    for f in files:
        res = process_file(str(f), "analyze")
        assert res["status"] == "ok", res


def throughput(files: list[Path], work: Path, repeats: int) -> list[tuple[str, float, float]]:
    from distributed import LocalCluster

    counter = iter(range(10**6))

    def batch(**kw):
        res = run_batch(files, work / f"out{next(counter)}", fmt="parquet", **kw)
        assert res.n_errors == 0 and res.n_processed == len(files), res

    serial(files[:5])  # warm-up: imports, numba cache
    run_batch(files[:4], work / "warm", workers=2, fmt="parquet")
    rows = [("serial loop (baseline)", *timed(lambda: serial(files), repeats))]
    rows.append(("local pool, 1 worker", *timed(lambda: batch(workers=1), repeats)))
    rows.append(("local pool, 2 workers", *timed(lambda: batch(workers=2), repeats)))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:  # fmt: skip
        run_batch(files[:4], work / "warm-dask", scheduler=cluster, fmt="parquet")
        rows.append(
            ("Dask LocalCluster, 2 workers", *timed(lambda: batch(scheduler=cluster), repeats))
        )
    return rows


_MEM = """
import json, resource, sys, tracemalloc
from pathlib import Path
from ncs_emg.batch import run
files = sorted(Path(sys.argv[1]).glob('*.h5'))[: int(sys.argv[2])]
tracemalloc.start()
res = run(files, sys.argv[3], workers=2, fmt='parquet')
cur, peak = tracemalloc.get_traced_memory()
print(json.dumps({"n": res.n_processed, "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "tracemalloc_peak_mb": peak / 2**20}))
"""


def memory(folder: Path, work: Path, sizes: list[int]) -> list[dict]:
    out = []
    for n in sizes:
        cmd = [sys.executable, "-c", _MEM, str(folder), str(n), str(work / f"mem{n}")]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
        out.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return out


def report_time(repeats: int = 5) -> dict[str, float]:
    """Render time of an 8-nerve report: wall and CPU (this process) medians, and analyze + render."""
    from ncs_emg.report import render_report

    study = ncs_emg.simulate_study("cidp", rng=1).study
    rep = ncs_emg.analyze(study)
    render_report(study, rep)  # warm-up
    wall, cpu, both = [], [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        render_report(study, rep)
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        t = time.perf_counter()
        render_report(study, ncs_emg.analyze(study))
        both.append(time.perf_counter() - t)
    return {"wall": float(np.median(wall)), "wall_min": float(np.min(wall)),
            "cpu": float(np.median(cpu)), "both": float(np.median(both))}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000, help="study files (default 1000)")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    print(f"ncs_emg {ncs_emg.__version__}, Python {platform.python_version()}, "
          f"{platform.machine()}, {os.cpu_count()} CPUs")  # fmt: skip
    tmp = Path(tempfile.mkdtemp(prefix="ncs_emg_bench_batch_"))
    try:
        folder = tmp / "in"
        folder.mkdir()
        t = time.perf_counter()
        files = make_files(folder, args.n)
        print(f"generated {len(files)} files in {time.perf_counter() - t:.1f} s "
              f"({sum(f.stat().st_size for f in files) / 2**20:.1f} MiB)\n")  # fmt: skip
        rows = throughput(files, tmp, args.repeats)
        base = rows[0][1]
        print(
            f"| runner ({len(files)} files, stage analyze) | median s | min s | studies/s | ratio to serial |"
        )
        print("| --- | ---: | ---: | ---: | ---: |")
        for name, med, mn in rows:
            print(f"| {name} | {med:.2f} | {mn:.2f} | {len(files) / med:.0f} | {base / med:.2f} |")
        sizes = sorted({min(100, len(files)), len(files)})
        print("\n| files | parent ru_maxrss (MB) | parent tracemalloc peak (MB) |")
        print("| ---: | ---: | ---: |")
        for m in memory(folder, tmp, sizes):
            print(f"| {m['n']} | {m['maxrss_mb']:.0f} | {m['tracemalloc_peak_mb']:.1f} |")
        r = report_time()
        print(f"\nreport of an 8-nerve study: render median {r['wall']:.2f} s wall (min "
              f"{r['wall_min']:.2f} s), {r['cpu']:.2f} s CPU; analyze + render median "
              f"{r['both']:.2f} s wall")  # fmt: skip
        print(f"load average after the run: {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
