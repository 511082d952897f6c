"""Speed of the criteria layer: analyze 1 000 simulated nerves vs measuring their CMAPs alone.

    python benchmarks/bench_analyze.py [--nerves 1000] [--repeats 5] [--sweeps 1]

Nerves: the four presets (median, ulnar, peroneal, tibial) in turn, one sweep per site, random
forearm/leg block fractions 0-60 %, ``--sweeps`` sweeps per site (default 1), no F-wave train (so both timings measure the same CMAPs).
Baseline: ``measure_sweeps`` on every site of every nerve (the measurement analyze rests on).
``analyze_nerve`` (all 8 shipped sets) = the same measurement + site choice + segments + criteria.
"criteria only" = ``analyze_nerve`` from the printed values of the same nerves (no waveforms).
Medians (and min) of ``--repeats`` runs; JIT and set loading warmed up outside the timing.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from ncs_emg import analyze_nerve, measure_sweeps, simulate_nerve
from ncs_emg.io.values_csv import NerveValues
from ncs_emg.tables import values_rows

NERVES = ("median", "ulnar", "peroneal", "tibial")
N_SITES = {"median": 3, "ulnar": 4, "peroneal": 3, "tibial": 2}


def make_nerves(n: int, seed: int = 0, sweeps: int = 1) -> list:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        name = NERVES[i % 4]
        bf = [0.0] * N_SITES[name]
        bf[1] = float(rng.uniform(0, 0.6))
        sim = simulate_nerve(name, block_fraction=bf, n_sweeps=sweeps, rng=int(rng.integers(2**31)))
        out.append(sim.nerve)
    return out


def as_values(reports) -> list:
    out = []
    for r in reports:
        rows = values_rows([r])
        sites = tuple(
            {k: v for k, v in row.items() if k not in ("nerve", "side", "muscle")} for row in rows
        )
        out.append(NerveValues(r.nerve, r.side, r.muscle, sites))
    return out


FIXTURE = "data/fixtures/block_ulnar.h5"
_CLI = (
    "import time, io, contextlib; t = time.perf_counter(); from ncs_emg.cli import main; "
    "buf = io.StringIO()\nwith contextlib.redirect_stdout(buf): main(['analyze', {f!r}])\n"
    "print(time.perf_counter() - t)"
)


def cli_cold_start(repeats: int = 3) -> list[float]:
    """Seconds for import + ``ncs-emg analyze`` of the fixture in fresh interpreters (warm numba cache)."""
    import subprocess
    import sys

    code = _CLI.format(f=FIXTURE)
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)  # fills the cache
    out = []
    for _ in range(repeats):
        r = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
        out.append(float(r.stdout.strip().splitlines()[-1]))
    return out


def timed(fn, repeats: int) -> list[float]:
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return ts


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nerves", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--sweeps", type=int, default=1, help="sweeps per site")
    ap.add_argument("--no-cli", action="store_true", help="skip the fresh-interpreter CLI timing")
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    nerves = make_nerves(a.nerves, sweeps=a.sweeps)
    print(f"simulated {len(nerves)} nerves in {time.perf_counter() - t0:.1f} s")
    reports = [analyze_nerve(n) for n in nerves[:8]]  # warm-up: JIT, criteria files
    for n in nerves[:8]:
        for s in n.sites:
            measure_sweeps(s.sweeps)
    reports = [analyze_nerve(n) for n in nerves]
    values = as_values(reports)

    def measure_all():
        for n in nerves:
            for s in n.sites:
                measure_sweeps(s.sweeps)

    def analyze_all():
        for n in nerves:
            analyze_nerve(n)

    def criteria_only():
        for v in values:
            analyze_nerve(v)

    rows = [
        ("measure_sweeps per site (baseline)", timed(measure_all, a.repeats)),
        ("analyze_nerve, all 8 sets (waveforms)", timed(analyze_all, a.repeats)),
        (
            "analyze_nerve, all 8 sets (values: criteria layer only)",
            timed(criteria_only, a.repeats),
        ),
    ]
    base = statistics.median(rows[0][1])
    n = len(nerves)
    n_find = sum(len(r.findings) for r in reports)
    print(f"{n} nerves, {sum(len(x.sites) for x in nerves)} sites x {a.sweeps} sweeps, {n_find} findings; "
          f"median / min of {a.repeats} runs")  # fmt: skip
    print(f"{'':58s} {'per nerve (median)':>18s} {'min':>10s} {'x baseline':>11s}")
    for name, ts in rows:
        med = statistics.median(ts)
        print(
            f"{name:58s} {1e3 * med / n:15.3f} ms {1e3 * min(ts) / n:7.3f} ms {med / base:10.2f}x"
        )

    if not a.no_cli:
        ts = cli_cold_start()
        print(f"ncs-emg analyze {FIXTURE} (import + read + analyze, fresh interpreter, warm numba "
              f"cache): median {statistics.median(ts):.3f} s, min {min(ts):.3f} s of {len(ts)}")  # fmt: skip


if __name__ == "__main__":
    main()
