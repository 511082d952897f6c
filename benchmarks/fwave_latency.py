"""Per-sweep F-latency error of ``measure_fwaves`` over many simulated trains.

    python benchmarks/fwave_latency.py                 # 4 nerves x 100 seeds, default simulator
    python benchmarks/fwave_latency.py --seeds 30 --markdown

Every sweep that holds a simulated F-wave and on which ``measure_fwaves`` found one is compared with
the generative model's truth (``FWaveTruth.f_latency_ms``: the earliest arrival at the muscle of a
back-firing unit). Two truths are reported:

* ``first arrival``: the earliest back-firing unit, however small;
* ``first visible``: the earliest back-firing unit whose own MUAP (negative peak,
  ``FWaveTruth.unit_size_mv``) reaches 4 x the noise SD the simulator added (the default onset
  threshold is 4 train-noise SDs). Sweeps on which no unit reaches it are left out of this row.

The error is measured minus true latency (ms); the table gives how many sweeps were compared, how many
had no latency (onset hidden or not found), P50/P95/max of the absolute error and the signed extremes.
Nothing here uses the code under test to define the truth.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from ncs_emg import measure_fwaves, simulate_fwave_train

NERVES = ("median", "ulnar", "peroneal", "tibial")


def errors(nerve: str, seeds: range, sim_kw: dict) -> dict[str, list]:
    """Signed latency errors (ms) per truth, and the count of present sweeps without a latency."""
    out: dict[str, list] = {"first arrival": [], "first visible": [], "no latency": [0, 0]}
    for seed in seeds:
        sim = simulate_fwave_train(nerve, rng=seed, **sim_kw)
        s, tr = sim.sweeps, sim.truth
        r = measure_fwaves(s.data, s.sfreq_hz, t0_ms=s.t0_ms)
        both = r.present & tr.f_present
        out["no latency"][0] += int(np.isnan(r.onset_latency_ms[both]).sum())
        out["no latency"][1] += int(both.sum())
        visible = 4.0 * tr.noise_mv
        for k in np.flatnonzero(both & ~np.isnan(r.onset_latency_ms)):
            u = tr.units_fired[k]
            out["first arrival"].append(r.onset_latency_ms[k] - tr.f_latency_ms[k])
            big = u[tr.unit_size_mv[u] >= visible]
            if big.size:
                out["first visible"].append(r.onset_latency_ms[k] - tr.unit_f_latency_ms[big].min())
    return out


def table(rows: list[tuple[str, str, list, list]]) -> list[str]:
    head = (
        f"{'nerve':9s} {'truth':14s} {'sweeps':>6s} {'no_lat':>6s} {'P50_ms':>7s} {'P95_ms':>7s} "
        f"{'max_ms':>7s} {'min_err':>8s} {'max_err':>8s}"
    )
    lines = [head]
    for nerve, truth, e, nolat in rows:
        a = np.abs(np.asarray(e))
        lines.append(
            f"{nerve:9s} {truth:14s} {a.size:6d} {nolat[0]:6d} {np.percentile(a, 50):7.3f} "
            f"{np.percentile(a, 95):7.3f} {a.max():7.2f} {min(e):8.2f} {max(e):8.2f}"
        )
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=100, help="trains per nerve (seeds 0..N-1)")
    ap.add_argument("--snr-db", type=float, default=None, help="simulate with this SNR instead")
    ap.add_argument("--markdown", action="store_true", help="print a fenced block for the README")
    args = ap.parse_args()
    sim_kw = {} if args.snr_db is None else {"snr_db": args.snr_db}
    t = time.perf_counter()
    rows = []
    pooled: dict[str, list] = {"first arrival": [], "first visible": []}
    nolat_all = [0, 0]
    for nerve in NERVES:
        e = errors(nerve, range(args.seeds), sim_kw)
        for truth in ("first arrival", "first visible"):
            rows.append((nerve, truth, e[truth], e["no latency"]))
            pooled[truth] += e[truth]
        nolat_all = [a + b for a, b in zip(nolat_all, e["no latency"], strict=True)]
    for truth in ("first arrival", "first visible"):
        rows.append(("all", truth, pooled[truth], nolat_all))
    lines = table(rows)
    note = (
        f"{args.seeds} trains per nerve, simulator defaults{'' if not sim_kw else f' with {sim_kw}'}"
        f"; no_lat = present sweeps without a latency (of {nolat_all[1]} compared in all)"
    )
    if args.markdown:
        print("```")
    print("\n".join(lines))
    if args.markdown:
        print("```")
    print(note)
    print(f"({time.perf_counter() - t:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
