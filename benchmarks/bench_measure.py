"""Benchmark measure_cmap against its naive twin and against one NumPy pass over the same array.

    python benchmarks/bench_measure.py            # full run (needs ~4 GB RAM for 200 000 sweeps)
    python benchmarks/bench_measure.py --quick    # small sizes only

Sweeps are 1 000 samples (20 kHz, 5 ms pre-stimulus) of a motor-unit-sum CMAP with noise, generated at
run time. For every size: the batch measure_cmap call (public API, including validation), the naive
twin from tests/naive.py (per sweep in Python; extrapolated from a timed subset at large sizes, said so
in the table), and ``np.min(x, axis=1)`` (one pass over memory: the bandwidth floor). JIT compilation is
warmed up outside the timing; each figure is the median of ``--repeats`` runs (min also printed).
Cold start (fresh interpreter: import, then the first call with an empty and with a warm numba cache) is
measured in subprocesses.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import ncs_emg  # noqa: E402
from naive import cmap_sweep_naive  # noqa: E402

FS_HZ = 20000.0
T0_MS = -5.0
N_SAMPLES = 1000


def make_sweeps(n_sweeps: int, rng: np.random.Generator, n_base: int = 256) -> np.ndarray:
    """n_sweeps x 1000 samples: n_base distinct MU-sum CMAPs, tiled, plus fresh white noise."""
    t = T0_MS + np.arange(N_SAMPLES) * 1000.0 / FS_HZ
    base = np.zeros((n_base, N_SAMPLES))
    for b in range(n_base):
        arrive = 70.0 / rng.normal(55, 4, 120) + 1.5 + rng.uniform(0, 5)
        sizes = 0.05 * rng.lognormal(0, 0.5, 120)
        for a, s in zip(arrive, sizes, strict=True):
            u = (t - a) / 6.0
            base[b] -= np.where((u > 0) & (u < 1), s * np.sin(2 * np.pi * u), 0.0)
    reps = -(-n_sweeps // n_base)
    x = np.tile(base, (reps, 1))[:n_sweeps]
    x += rng.normal(0.0, 0.02, x.shape)
    return np.ascontiguousarray(x)


def timeit(fn, repeats: int) -> tuple[float, float]:
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts), min(ts)


def naive_params():
    """The kernel parameter arrays measure_cmap derives for these sweeps (defaults), built by the
    wrapper's own function, for the naive twin."""
    from ncs_emg.measure import DEFAULT_CMAP_PARAMS, cmap_kernel_params

    dt = 1000.0 / FS_HZ
    n_pre = int(np.ceil(-T0_MS / dt - 1e-9))
    s_start = int(np.ceil((1.0 - T0_MS) / dt - 1e-9))
    return cmap_kernel_params(DEFAULT_CMAP_PARAMS, (0, n_pre, s_start, N_SAMPLES), dt)


def run_naive(x: np.ndarray) -> None:
    ip, fp = naive_params()
    for row in x:
        cmap_sweep_naive(row, ip, fp)


COLD_CODE = r"""
import json, sys, time
t0 = time.perf_counter()
import ncs_emg
t1 = time.perf_counter()
import numpy as np
x = np.zeros((20, 1000)); x[:, 300:400] = -np.hanning(100)
t2 = time.perf_counter()
ncs_emg.measure_cmap(x, 20000.0, t0_ms=-5.0)
t3 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "first_call_s": t3 - t2, "numba_loaded_by_import": None}))
"""


def cold_start(repeats: int) -> dict:
    res = {"import_s": [], "first_call_empty_cache_s": [], "first_call_warm_cache_s": []}
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as cache:
            env = {**os.environ, "NUMBA_CACHE_DIR": cache}
            for key in ("first_call_empty_cache_s", "first_call_warm_cache_s"):
                out = subprocess.run(
                    [sys.executable, "-c", COLD_CODE],
                    env=env,
                    capture_output=True,
                    text=True,
                    check=True,
                )
                d = json.loads(out.stdout)
                res[key].append(d["first_call_s"])
                if key == "first_call_warm_cache_s":
                    res["import_s"].append(d["import_s"])
    return {k: (statistics.median(v), min(v)) for k, v in res.items()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="sizes 1, 20, 10 000 only")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument(
        "--naive-max", type=int, default=2000, help="sweeps timed for the naive twin at most"
    )
    args = ap.parse_args(argv)
    rng = np.random.default_rng(0)
    sizes = [1, 20, 10_000] + ([] if args.quick else [200_000])

    warm = make_sweeps(100, rng)
    ncs_emg.measure_cmap(warm[:5], FS_HZ, t0_ms=T0_MS)  # compile the serial kernel
    ncs_emg.measure_cmap(warm, FS_HZ, t0_ms=T0_MS)  # and the parallel one

    import numba

    print(
        f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, numpy {np.__version__}, numba {numba.__version__}, "
        f"threads {numba.get_num_threads()}, repeats {args.repeats}"
    )
    header = f"{'sweeps':>8} {'measure_cmap':>13} {'naive twin':>13} {'np.min pass':>12} {'x naive':>9} {'/ np.min':>9}  note"
    print(header)
    print("-" * len(header))
    rows = []
    for n in sizes:
        x = make_sweeps(n, rng)
        reps = args.repeats if n < 200_000 else max(3, args.repeats // 2)
        t_ours, t_ours_min = timeit(lambda x=x: ncs_emg.measure_cmap(x, FS_HZ, t0_ms=T0_MS), reps)
        t_min, t_min_min = timeit(lambda x=x: np.min(x, axis=1), reps)
        n_naive = min(n, args.naive_max)
        t_nv, _ = timeit(lambda x=x[:n_naive]: run_naive(x), 3 if n_naive <= 100 else 1)
        t_nv_full = t_nv * n / n_naive
        note = "" if n_naive == n else f"naive timed on {n_naive} sweeps, scaled x{n / n_naive:g}"
        row = dict(
            sweeps=n,
            ours_s=t_ours,
            ours_min_s=t_ours_min,
            naive_s=t_nv_full,
            npmin_s=t_min,
            npmin_min_s=t_min_min,
            speedup_vs_naive=t_nv_full / t_ours,
            ratio_vs_npmin=t_ours / t_min,
            note=note,
        )
        rows.append(row)
        print(
            f"{n:>8} {t_ours * 1e3:>10.3f} ms {t_nv_full * 1e3:>10.1f} ms {t_min * 1e3:>9.3f} ms "
            f"{row['speedup_vs_naive']:>8.0f}x {row['ratio_vs_npmin']:>8.2f}x  {note}"
        )
        x = None  # free the large array before the next size
    cs = cold_start(max(3, args.repeats // 2))
    print()
    print("cold start (fresh interpreter; median / min):")
    print(
        f"  import ncs_emg                        {cs['import_s'][0]:.3f} s / {cs['import_s'][1]:.3f} s"
    )
    print(
        f"  first measure_cmap, empty numba cache {cs['first_call_empty_cache_s'][0]:.3f} s / {cs['first_call_empty_cache_s'][1]:.3f} s"
    )
    print(
        f"  first measure_cmap, warm numba cache  {cs['first_call_warm_cache_s'][0]:.3f} s / {cs['first_call_warm_cache_s'][1]:.3f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
