"""Measurement accuracy against simulator ground truth (the "Measurement accuracy" table).

    python benchmarks/accuracy.py            # default grid (20 nerves x 10 sweeps per cell), ~15 s
    python benchmarks/accuracy.py --markdown # the same, as the markdown of benchmarks/README.md

For every onset detector of ``ncs_emg.onset_methods()`` and every CMAP measure, the error of
``measure_sweeps`` (default parameters) on simulated median nerves (wrist, elbow, axilla) against the
truth, over a grid of SNR (40, 30, 20, 10 dB), sampling rate (10, 20, 50 kHz) and condition:

* ``normal``: normal nerve;
* ``dispersion``: extra CV SD of 10 m/s in the forearm and upper-arm segments (pathological dispersion);
* ``block``: 50 % conduction block in the forearm segment.

SNR = 20 log10(distal noise-free negative-peak amplitude / white-noise SD); mains hum (5 µV) and a 1 mV
stimulus artefact (tau 0.3 ms) are present as in ``simulate_nerve``'s defaults.

Truths
------
* Onset, **physiological**: the first motor-unit arrival (start of the earliest MUAP). This is what the
  onset is meant to estimate; every detector is late against it, because the first units are tiny and
  start smoothly (see the table of the noise-free gap below).
* Onset, **noise-free**: the same detector on the noise-free waveform with the truth band
  (``TRUTH_BAND_FRACTION`` of the distal amplitude). Its error isolates what noise and sampling add.
* Amplitudes, areas, durations, peak latency: the default detector's measures of the noise-free
  waveform (domain definitions); amplitudes and areas in % of truth, the rest in ms.

Errors: bias = mean signed error (measured - truth); P95 = 95th percentile of |error|; n/a counts
sweeps where a measure was NaN (flagged not measurable). Every cell pools sites x seeds x sweeps.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import ncs_emg
from ncs_emg.simulate import TRUTH_BAND_FRACTION

SNRS = (40.0, 30.0, 20.0, 10.0)
RATES = (10000.0, 20000.0, 50000.0)
CONDITIONS = {
    "normal": {},
    "dispersion": {"extra_cv_sd_m_s": [0.0, 10.0, 10.0]},
    "block": {"block_fraction": [0.0, 0.5, 0.0]},
}
# (measure, unit of the error, relative?)
MEASURES = (
    ("neg_peak_amp_mv", "%", True),
    ("peak_to_peak_amp_mv", "%", True),
    ("neg_area_mv_ms", "%", True),
    ("total_area_mv_ms", "%", True),
    ("neg_duration_ms", "ms", False),
    ("total_duration_ms", "ms", False),
    ("neg_peak_latency_ms", "ms", False),
)
TARGETS = {  # at 20 kHz and SNR >= 30 dB, default detector (issue 3)
    "onset (physiological)": 0.1,
    "onset (noise-free)": 0.1,
    "neg_peak_amp_mv": 2.0,
    "neg_area_mv_ms": 2.0,
    "neg_duration_ms": 0.2,
    "total_duration_ms": 0.2,
}


def run(seeds: int, sweeps: int) -> dict:
    methods = sorted(ncs_emg.onset_methods())
    errs: dict = {}
    gap = []  # noise-free default-detector onset minus first arrival
    for cond, extra in CONDITIONS.items():
        for fs in RATES:
            for snr in SNRS:
                cell: dict = {}
                for seed in range(seeds):
                    sim = ncs_emg.simulate_nerve(
                        "median", sfreq_hz=fs, snr_db=snr, n_sweeps=sweeps, rng=seed, **extra
                    )
                    for site, tr in zip(sim.nerve.sites, sim.truth.sites):
                        sw = site.sweeps
                        for m in methods:
                            clean = ncs_emg.measure_cmap(
                                tr.noise_free,
                                fs,
                                t0_ms=sw.t0_ms,
                                method=m,
                                baseline_band_mv=tr.band_mv,
                            )
                            noisy = ncs_emg.measure_sweeps(sw, method=m)
                            on = noisy.onset_latency_ms
                            cell.setdefault(("onset (physiological)", m), []).append(
                                on - tr.true_onset_ms
                            )
                            cell.setdefault(("onset (noise-free)", m), []).append(
                                on - clean.onset_latency_ms[0]
                            )
                            if m == "threshold":
                                if snr == SNRS[0] and fs == 20000.0:
                                    gap.append(
                                        (
                                            cond,
                                            site.name,
                                            clean.onset_latency_ms[0] - tr.true_onset_ms,
                                        )
                                    )
                                for name, _unit, rel in MEASURES:
                                    v = getattr(noisy, name)
                                    t = tr.measures[name]
                                    e = 100 * (v - t) / t if rel else v - t
                                    cell.setdefault((name, "threshold"), []).append(e)
                for k, v in cell.items():
                    errs[(cond, fs, snr, *k)] = np.concatenate(v)
    return {"errs": errs, "gap": gap, "methods": methods}


def summarise(e: np.ndarray) -> tuple[float, float, int]:
    ok = np.isfinite(e)
    if not ok.any():
        return np.nan, np.nan, int(e.size)
    return float(np.mean(e[ok])), float(np.percentile(np.abs(e[ok]), 95)), int((~ok).sum())


def rows_for(res: dict, quantity: str, method: str) -> list[list[str]]:
    out = []
    for cond in CONDITIONS:
        for fs in RATES:
            row = [cond, f"{fs / 1000:g}"]
            for snr in SNRS:
                b, p, nan = summarise(res["errs"][(cond, fs, snr, quantity, method)])
                cell = f"{b:+.3f} / {p:.3f}"
                if nan:
                    cell += f" ({nan} n/a)"
                row.append(cell)
            out.append(row)
    return out


def table(title: str, rows: list[list[str]], markdown: bool) -> str:
    head = ["condition", "kHz"] + [f"{s:g} dB bias / P95" for s in SNRS]
    if markdown:
        lines = [f"**{title}**", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines) + "\n"
    w = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    lines = [title, "  ".join(h.rjust(x) for h, x in zip(head, w))]
    lines += ["  ".join(c.rjust(x) for c, x in zip(r, w)) for r in rows]
    return "\n".join(lines) + "\n"


def targets(res: dict, markdown: bool) -> str:
    lines = ["Targets at 20 kHz, SNR >= 30 dB, default detector (P95 of |error|, all conditions):"]
    if markdown:
        lines = [
            lines[0],
            "",
            "| quantity | condition | P95 at 40 dB | P95 at 30 dB | target | verdict |",
            "|---|---|---|---|---|---|",
        ]
    for q, lim in TARGETS.items():
        for cond in CONDITIONS:
            ps = [
                summarise(res["errs"][(cond, 20000.0, snr, q, "threshold")])[1]
                for snr in (40.0, 30.0)
            ]
            ok = all(p <= lim for p in ps)
            unit = "%" if q in ("neg_peak_amp_mv", "neg_area_mv_ms") else "ms"
            verdict = "met" if ok else "MISSED"
            if markdown:
                lines.append(
                    f"| {q} | {cond} | {ps[0]:.3f} | {ps[1]:.3f} | <= {lim:g} {unit} | {verdict} |"
                )
            else:
                lines.append(
                    f"  {q:24s} {cond:11s} P95 {ps[0]:.3f} / {ps[1]:.3f} {unit} (<= {lim:g}): {verdict}"
                )
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=20, help="simulated nerves per grid cell")
    ap.add_argument("--sweeps", type=int, default=10, help="noise realisations per site")
    ap.add_argument("--markdown", action="store_true", help="print markdown tables")
    args = ap.parse_args()
    ncs_emg.simulate_nerve("median", rng=0)  # warm-up (kernel compilation)
    t = time.perf_counter()
    res = run(args.seeds, args.sweeps)
    elapsed = time.perf_counter() - t
    md = args.markdown
    print(
        f"{args.seeds} nerves x 3 sites x {args.sweeps} sweeps per cell; truth band "
        f"{100 * TRUTH_BAND_FRACTION:g} % of the distal amplitude; run time {elapsed:.0f} s\n"
    )
    for m in res["methods"]:
        print(
            table(
                f"onset error vs first arrival (physiological truth), ms, method {m!r}",
                rows_for(res, "onset (physiological)", m),
                md,
            )
        )
        print(
            table(
                f"onset error vs the same detector on the noise-free waveform, ms, method {m!r}",
                rows_for(res, "onset (noise-free)", m),
                md,
            )
        )
    for name, unit, _rel in MEASURES:
        print(
            table(f"{name} error, {unit} (default detector)", rows_for(res, name, "threshold"), md)
        )
    g = np.array([x[2] for x in res["gap"]])
    by_site = {}
    for cond, site, v in res["gap"]:
        by_site.setdefault((cond, site), []).append(v)
    print(
        "Noise-free gap: default-detector onset minus first arrival (20 kHz), ms: "
        f"mean {g.mean():.3f}, range {g.min():.3f} to {g.max():.3f}"
    )
    for (cond, site), v in by_site.items():
        print(f"  {cond:11s} {site:8s} mean {np.mean(v):.3f}")
    print()
    print(targets(res, md))


if __name__ == "__main__":
    main()
