"""Speed of the simulator: a 5-site ulnar nerve (wrist ... Erb's point) with 200 motor units.

    python benchmarks/bench_simulate.py

Times ``simulate_nerve`` end to end (population, per-segment CVs, MUAP summation at every site,
recording layer, the truth measures of every noise-free waveform and the detectable onsets), and the
MUAP summation alone against its naive twin (every unit evaluated on every sample), in the same run. Warm-up (numba
compilation of the measure kernels) is outside the timing; figures are the median and min of repeats.
"""

from __future__ import annotations

import platform
import time

import numpy as np

import ncs_emg
from ncs_emg.simulate import _core as C

SITES = ["wrist", "below elbow", "above elbow", "axilla", "Erb's point"]


def _time(fn, repeats: int) -> tuple[float, float]:
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return float(np.median(ts)) * 1e3, float(np.min(ts)) * 1e3


def main() -> None:
    kw = dict(sites=SITES, n_units=200)
    ncs_emg.simulate_nerve("ulnar", rng=0, **kw)  # warm-up: compiles the measure kernels
    rows = []
    for fs in (20000.0, 50000.0):
        seeds = iter(range(10_000))
        med, mn = _time(
            lambda fs=fs, seeds=seeds: ncs_emg.simulate_nerve(
                "ulnar", sfreq_hz=fs, rng=next(seeds), **kw
            ),
            30,
        )
        rows.append((f"simulate_nerve, 5 sites x 200 units, {fs / 1000:g} kHz", med, mn))
    # summation alone, vectorised vs naive twin, one site at 20 kHz (900 samples)
    g = np.random.default_rng(1)
    arr = g.uniform(3, 12, 200)
    size = 0.05 * g.lognormal(0, 0.6, 200)
    neg = g.uniform(3.2, 4.5, 200)
    pos = 1.2 * neg
    fast = _time(
        lambda: C.sum_muaps(arr, size, neg, pos, t0_ms=-5.0, dt_ms=0.05, n_samples=900), 50
    )
    naive = _time(
        lambda: C.sum_muaps_naive(arr, size, neg, pos, t0_ms=-5.0, dt_ms=0.05, n_samples=900), 10
    )
    rows.append(("sum_muaps (bincount over supports), 1 site", *fast))
    rows.append(("sum_muaps_naive (every unit x every sample), 1 site", *naive))
    print(
        f"machine: {platform.machine()}, {platform.system()}, Python {platform.python_version()}, "
        f"numpy {np.__version__}"
    )
    print(f"{'case':60s} {'median ms':>10s} {'min ms':>8s}")
    for name, med, mn in rows:
        print(f"{name:60s} {med:10.2f} {mn:8.2f}")
    print(f"summation speed-up vs naive twin: {naive[0] / fast[0]:.1f}x (median)")
    target = rows[0][1]
    print(
        f"target: 5-site nerve with 200 units under 20 ms at 20 kHz -> {target:.1f} ms "
        f"({'met' if target < 20 else 'MISSED'})"
    )


if __name__ == "__main__":
    main()
