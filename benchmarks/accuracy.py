"""Measurement accuracy against simulator ground truth (the "Measurement accuracy" tables).

    python benchmarks/accuracy.py                # default grid (20 nerves x 10 sweeps per cell)
    python benchmarks/accuracy.py --markdown     # the same, as the markdown of benchmarks/README.md
    python benchmarks/accuracy.py --check benchmarks/README.md
                                                 # recompute the 20 kHz rows; exit 1 if the README differs

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
* Onset, **first arrival** (``SiteTruth.true_onset_ms``): the start of the earliest MUAP.
* Onset, **detectable** (``SiteTruth.detectable_onset_ms``): the first time the noise-free waveform
  deviates from baseline by >= 1 µV; tens of µs after the first arrival.
* Amplitudes, areas, durations, peak latency: ``SiteTruth.measures``, computed from the generative
  model (the MUAP sum on a 10 µs grid, 1 µV band, plain NumPy in ``ncs_emg.simulate.truth``; never the
  measurement code), independent of the SNR; amplitudes and areas in % of truth, the rest in ms.

Errors: bias = mean signed error (measured - truth); P95 = 95th percentile of |error|; n/a counts
sweeps where a measure was NaN (flagged not measurable). Every cell pools sites x seeds x sweeps and
uses seeds 0..seeds-1 whatever the other cells, so any cell can be recomputed alone (``--check``).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import numpy as np

import ncs_emg
from ncs_emg.simulate import TRUTH_BAND_MV

SNRS = (40.0, 30.0, 20.0, 10.0)
RATES = (10000.0, 20000.0, 50000.0)
CHECK_RATE = 20000.0  # the rows that --check recomputes
CONDITIONS = {
    "normal": {},
    "dispersion": {"extra_cv_sd_m_s": [0.0, 10.0, 10.0]},
    "block": {"block_fraction": [0.0, 0.5, 0.0]},
}
ONSETS = (
    ("onset (first arrival)", "true_onset_ms"),
    ("onset (detectable)", "detectable_onset_ms"),
)
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
TARGETS = {  # at 20 kHz and SNR >= 30 dB, default detector
    "onset (first arrival)": 0.1,
    "onset (detectable)": 0.1,
    "neg_peak_amp_mv": 2.0,
    "neg_area_mv_ms": 2.0,
    "neg_duration_ms": 0.2,
    "total_duration_ms": 0.2,
}


def run(seeds: int, sweeps: int, rates: tuple = RATES, snrs: tuple = SNRS) -> dict:
    methods = sorted(ncs_emg.onset_methods())
    errs: dict = {}
    gap = []  # (cond, site, noise-free default onset - first arrival, detectable - first arrival)
    for cond, extra in CONDITIONS.items():
        for fs in rates:
            for snr in snrs:
                cell: dict = {}
                for seed in range(seeds):
                    sim = ncs_emg.simulate_nerve(
                        "median", sfreq_hz=fs, snr_db=snr, n_sweeps=sweeps, rng=seed, **extra
                    )
                    for site, tr in zip(sim.nerve.sites, sim.truth.sites, strict=True):
                        sw = site.sweeps
                        if fs == 20000.0 and snr == SNRS[0]:
                            gap.append(
                                (
                                    cond,
                                    site.name,
                                    ncs_emg.measure_cmap(
                                        tr.noise_free, fs, t0_ms=sw.t0_ms
                                    ).onset_latency_ms[0]
                                    - tr.true_onset_ms,
                                    tr.detectable_onset_ms - tr.true_onset_ms,
                                )
                            )
                        for m in methods:
                            noisy = ncs_emg.measure_sweeps(sw, method=m)
                            for q, attr in ONSETS:
                                cell.setdefault((q, m), []).append(
                                    noisy.onset_latency_ms - getattr(tr, attr)
                                )
                            if m == "threshold":
                                for name, _unit, rel in MEASURES:
                                    v = getattr(noisy, name)
                                    t = tr.measures[name]
                                    e = 100 * (v - t) / t if rel else v - t
                                    cell.setdefault((name, "threshold"), []).append(e)
                for k, v in cell.items():
                    errs[(cond, fs, snr, *k)] = np.concatenate(v)
    return {"errs": errs, "gap": gap, "methods": methods, "rates": rates, "snrs": snrs}


def summarise(e: np.ndarray) -> tuple[float, float, int]:
    ok = np.isfinite(e)
    if not ok.any():
        return np.nan, np.nan, int(e.size)
    return float(np.mean(e[ok])), float(np.percentile(np.abs(e[ok]), 95)), int((~ok).sum())


def rows_for(res: dict, quantity: str, method: str) -> list[list[str]]:
    out = []
    for cond in CONDITIONS:
        for fs in res["rates"]:
            row = [cond, f"{fs / 1000:g}"]
            for snr in SNRS:
                if (cond, fs, snr, quantity, method) not in res["errs"]:
                    row.append("(not computed)")
                    continue
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
    lines = [title, "  ".join(h.rjust(x) for h, x in zip(head, w, strict=True))]
    lines += ["  ".join(c.rjust(x) for c, x in zip(r, w, strict=True)) for r in rows]
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


def gap_text(res: dict) -> str:
    g = np.array([x[2] for x in res["gap"]])
    d = np.array([x[3] for x in res["gap"]])
    by_site: dict = {}
    for cond, site, v, w in res["gap"]:
        by_site.setdefault((cond, site), []).append((v, w))
    lines = [
        "Noise-free gaps at 20 kHz (default detector on the noise-free waveform minus first arrival; "
        "detectable onset minus first arrival), ms:",
        f"  default detector: mean {g.mean():.3f}, range {g.min():.3f} to {g.max():.3f}",
        f"  detectable onset: mean {d.mean():.3f}, range {d.min():.3f} to {d.max():.3f}",
    ]
    for (cond, site), v in by_site.items():
        a = np.array(v)
        lines.append(
            f"  {cond:11s} {site:8s} detector {a[:, 0].mean():+.3f}, detectable {a[:, 1].mean():.3f}"
        )
    return "\n".join(lines) + "\n"


def report(res: dict, markdown: bool) -> str:
    parts = []
    for m in res["methods"]:
        for q, _attr in ONSETS:
            what = "first arrival" if q.endswith("(first arrival)") else "detectable onset (1 µV)"
            parts.append(
                table(f"onset error vs {what}, ms, method {m!r}", rows_for(res, q, m), markdown)
            )
    for name, unit, _rel in MEASURES:
        parts.append(
            table(
                f"{name} error, {unit} (default detector)",
                rows_for(res, name, "threshold"),
                markdown,
            )
        )
    return "\n".join(parts)


def _tables(text: str) -> dict[str, dict[tuple[str, str], str]]:
    """``{title: {(condition, kHz): row text}}`` of the markdown tables in ``text``."""
    out: dict = {}
    title = None
    for line in text.splitlines():
        m = re.fullmatch(r"\*\*(.+)\*\*", line.strip())
        if m:
            title = m.group(1)
            out[title] = {}
        elif title is not None and line.startswith("| ") and not line.startswith("| condition"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            out[title][(cells[0], cells[1])] = cells
    return out


def check_run(seeds: int = 20, sweeps: int = 10, snrs: tuple = SNRS) -> dict:
    """The results that :func:`check` compares: the CHECK_RATE rows of the full grid (``snrs``
    columns only; the targets table needs 40 and 30 dB, the gap summary 40 dB)."""
    return run(seeds, sweeps, rates=(CHECK_RATE,), snrs=snrs)


def check(text: str, res: dict) -> list[str]:
    """The differences between the "Measurement accuracy" section of README ``text`` and ``res``."""
    if "## Measurement accuracy" not in text:
        return ["no '## Measurement accuracy' section"]
    section = text[text.index("## Measurement accuracy") :]
    nxt = section.find("\n## ", 3)
    section = section if nxt < 0 else section[:nxt]
    have = _tables(section)
    want = _tables(report(res, True))
    diffs = []
    for title, rows in want.items():
        if title not in have:
            diffs.append(f"missing table: {title}")
            continue
        for key, row in rows.items():
            old = have[title].get(key)
            if old is None or len(old) != len(row):
                diffs.append(f"{title} {key}: README {old!r}, code {row!r}")
                continue
            for a, b in zip(old, row, strict=True):
                if b not in ("(not computed)", a):
                    diffs.append(f"{title} {key}: README {a!r}, code {b!r}")
    if 30.0 not in res["snrs"] or 40.0 not in res["snrs"]:
        return diffs
    for line in targets(res, True).splitlines():
        if line.startswith("| ") and not line.startswith("| quantity") and line not in section:
            diffs.append(f"targets row not in README: {line}")
    if "\n" + gap_text(res).splitlines()[1] not in "\n" + section.replace("`", ""):
        diffs.append(f"gap summary differs: {gap_text(res).splitlines()[1]!r}")
    return diffs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=20, help="simulated nerves per grid cell")
    ap.add_argument("--sweeps", type=int, default=10, help="noise realisations per site")
    ap.add_argument("--markdown", action="store_true", help="print markdown tables")
    ap.add_argument("--check", metavar="README", help="compare the 20 kHz rows with this README")
    args = ap.parse_args()
    ncs_emg.simulate_nerve("median", rng=0)  # warm-up (kernel compilation)
    if args.check:
        text = Path(args.check).read_text(encoding="utf-8")
        diffs = check(text, check_run(args.seeds, args.sweeps))
        for d in diffs:
            print(d)
        print(f"{len(diffs)} difference(s) between {args.check} and the code")
        return 1 if diffs else 0
    t = time.perf_counter()
    res = run(args.seeds, args.sweeps)
    elapsed = time.perf_counter() - t
    md = args.markdown
    print(
        f"{args.seeds} nerves x 3 sites x {args.sweeps} sweeps per cell; truth band "
        f"{1000 * TRUTH_BAND_MV:g} µV (fixed); run time {elapsed:.0f} s\n"
    )
    print(report(res, md))
    print(("```\n" if md else "") + gap_text(res) + ("```\n" if md else ""))
    print(targets(res, md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
