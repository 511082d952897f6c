"""Criteria study: each criteria set's sensitivity for true conduction block and its false-block rate.

    python benchmarks/criteria_study.py [--quick] [--reps N] [--seed S]

On simulated nerves (ground truth from the generative model, never from the code under test):

1. Sensitivity grid: true block fraction (0-80 %) x extra dispersion in the same segment (extra CV SD
   0, 4, 8 m/s) x segment (median forearm, ulnar forearm, ulnar across elbow, peroneal leg). A nerve
   counts as "CB" for a set when its per-nerve verdict is definite, probable or present; at block 0
   the row is the false-block rate caused by dispersion alone.
2. False-block rate on whole simulated studies: the ``normal`` preset and the ``als`` preset (few,
   large units after reinnervation: phase cancellation can mimic block), every nerve counted.
   Also "few-unit nerves" (median, ulnar, peroneal with 5, 10 or 20 units of 0.3 mV, MUAPs 9-12 ms,
   CV SD 3.5 or 6 m/s, no block): a probe of phase-cancellation pseudo-block, not a calibrated ALS
   model.
3. Disagreement between sets: for each pair, the share of all simulated nerves on which one set says
   CB and the other does not.

Default run: 20 nerves per grid cell, 25 studies per preset, 60 few-unit nerves per row (~1-3 minutes
on 2 cores); ``--quick``: 4 per cell, 5 studies, 12 few-unit nerves.
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np

from ncs_emg import analyze, analyze_nerve, criteria_sets, simulate_nerve, simulate_study

POS = ("definite", "probable", "present")
#: (label, nerve, index of the site whose segment carries the block)
SEGMENTS = (
    ("median forearm", "median", 1),
    ("ulnar forearm", "ulnar", 1),
    ("ulnar across elbow", "ulnar", 2),
    ("peroneal leg", "peroneal", 1),
)
N_SITES = {"median": 3, "ulnar": 4, "peroneal": 3, "tibial": 2}
BLOCKS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
DISPERSION = (0.0, 4.0, 8.0)


def cb_vector(report, ids) -> np.ndarray:
    return np.array([report.summary[i].conduction_block in POS for i in ids], dtype=bool)


def grid(reps: int, rng: np.random.Generator, ids) -> dict:
    out = {}
    for (label, nerve, idx), disp, bf in itertools.product(SEGMENTS, DISPERSION, BLOCKS):
        block = [0.0] * N_SITES[nerve]
        sd = [0.0] * N_SITES[nerve]
        block[idx], sd[idx] = bf, disp
        hits = []
        for _ in range(reps):
            sim = simulate_nerve(
                nerve, block_fraction=block, extra_cv_sd_m_s=sd, rng=int(rng.integers(2**31))
            )
            hits.append(cb_vector(analyze_nerve(sim.nerve), ids))
        out[(label, disp, bf)] = np.array(hits)
    return out


def studies(preset: str, n: int, rng: np.random.Generator, ids) -> np.ndarray:
    rows = []
    for _ in range(n):
        rep = analyze(simulate_study(preset, rng=int(rng.integers(2**31))).study)
        rows += [cb_vector(nr, ids) for nr in rep.nerves]
    return np.array(rows)


def few_unit_nerves(reps: int, rng: np.random.Generator, ids) -> dict:
    out = {}
    for n_units, cv_sd in itertools.product((5, 10, 20), (3.5, 6.0)):
        hits = []
        for k in range(reps):
            sim = simulate_nerve(
                ("median", "ulnar", "peroneal")[k % 3],
                n_units=n_units,
                unit_size_mv=0.3,
                muap_duration_ms=(9.0, 12.0),
                cv_sd_m_s=cv_sd,
                rng=int(rng.integers(2**31)),
            )
            hits.append(cb_vector(analyze_nerve(sim.nerve), ids))
        out[(n_units, cv_sd)] = np.array(hits)
    return out


def short(i: str) -> str:
    return {"katz2002": "katz", "efns_pns2010_mmn": "efns_mmn", "efns_pns2010_cidp": "efns_cidp",
            "ean_pns2021_cidp": "ean21*", "aan1991": "aan91", "utrecht2006": "utrecht",
            "pfeiffer2000_control": "pf_ctrl", "pfeiffer2000_als": "pf_als"}.get(i, i)  # fmt: skip


def print_grid(res: dict, ids) -> None:
    heads = [short(i) for i in ids]
    print(
        "Sensitivity (% of nerves with CB per set); block 0 rows = false block from dispersion alone"
    )
    print(f"{'segment':20s} {'xSD':>4s} {'block':>5s} " + " ".join(f"{h:>9s}" for h in heads))
    for (label, disp, bf), hits in res.items():
        pct = 100 * hits.mean(axis=0)
        print(f"{label:20s} {disp:4.0f} {100 * bf:4.0f}% " + " ".join(f"{p:9.0f}" for p in pct))


def print_rates(name: str, hits: np.ndarray, ids) -> None:
    pct = 100 * hits.mean(axis=0)
    print(
        f"{name:32s} (n={len(hits):4d}) "
        + " ".join(f"{short(i)} {p:5.1f}%" for i, p in zip(ids, pct, strict=True))
    )


def print_disagreement(all_hits: np.ndarray, ids) -> None:
    print("Disagreement (% of all simulated nerves on which the two sets differ about CB)")
    print(f"{'':10s}" + " ".join(f"{short(i):>9s}" for i in ids))
    for a, ia in enumerate(ids):
        cells = [100 * np.mean(all_hits[:, a] != all_hits[:, b]) for b in range(len(ids))]
        print(f"{short(ia):10s}" + " ".join(f"{c:9.1f}" for c in cells))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="4 nerves per cell, 5 studies per preset")
    ap.add_argument("--reps", type=int, default=None, help="nerves per grid cell (default 20)")
    ap.add_argument("--studies", type=int, default=None, help="studies per preset (default 25)")
    ap.add_argument("--seed", type=int, default=2026)
    a = ap.parse_args(argv)
    reps = a.reps or (4 if a.quick else 20)
    n_st = a.studies or (5 if a.quick else 25)
    rng = np.random.default_rng(a.seed)
    ids = [c.id for c in criteria_sets()]
    t0 = time.perf_counter()
    res = grid(reps, rng, ids)
    normal = studies("normal", n_st, rng, ids)
    als = studies("als", n_st, rng, ids)
    few = few_unit_nerves(3 * reps, rng, ids)
    print(f"seed {a.seed}, {reps} nerves per cell, {n_st} studies per preset; "
          f"* = set flagged unverified; {time.perf_counter() - t0:.0f} s\n")  # fmt: skip
    print_grid(res, ids)
    print("\nFalse-block rate (% of nerves with CB), whole simulated studies (8 nerves each)")
    print_rates("normal preset", normal, ids)
    print_rates("als preset (few, large units)", als, ids)
    for (nu, sd), hits in few.items():
        print_rates(f"few-unit nerves: {nu:2d} units, CV SD {sd:g}", hits, ids)
    print()
    print_disagreement(np.vstack(list(res.values()) + [normal, als] + list(few.values())), ids)


if __name__ == "__main__":
    main()
