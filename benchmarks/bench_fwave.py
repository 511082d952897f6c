"""F-wave analysis: throughput (trains/s) and accuracy against simulator ground truth.

Run from the repository root: ``python benchmarks/bench_fwave.py [--trains N] [--repeats R]``.

Speed: ``measure_fwave_trains`` (parallel batch kernel over trains, all cores) on N trains of 20 sweeps
x 2000 samples, against (a) the naive Python twin of the kernel (tests/naive.py, on a few trains,
scaled) and (b) a single NumPy pass over the same array (``np.min`` over the last axis): ratios in one
run, JIT warm-up outside the timing, median and min of R repeats.

Accuracy (``simulate_fwave_train``): detection against the per-sweep truth, persistence exactness when
every F-wave is >= 3x the detection threshold, minimal-latency error, A-wave recall and exclusion, and
false F-waves on sweeps holding only the M-wave (tail) and noise.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))

from ncs_emg import measure_fwave_trains, measure_fwaves, simulate_fwave_train  # noqa: E402


def _timeit(fn, repeats):
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return float(np.median(ts)), float(np.min(ts))


def speed(n_trains, repeats):
    from naive import fw_train_naive

    rng = np.random.default_rng(0)
    base = np.stack(
        [
            simulate_fwave_train(
                "median", rng=int(s), sweep_ms=50.0, pre_ms=5.0, sfreq_hz=40000.0, n_stimuli=20
            ).sweeps.data[:, :2000]
            for s in range(16)
        ]
    )
    X3 = np.ascontiguousarray(base[rng.integers(0, 16, n_trains)])
    X3 += rng.normal(0, 0.005, X3.shape)  # distinct trains
    fs, t0 = 40000.0, -5.0
    measure_fwave_trains(X3[:16], fs, t0_ms=t0)  # warm-up (compile) outside timing
    t_med, t_min = _timeit(lambda: measure_fwave_trains(X3, fs, t0_ms=t0), repeats)
    np_med, np_min = _timeit(lambda: np.min(X3, axis=-1), repeats)
    # naive twin on a few trains, scaled to n_trains; its ip/fp come from the wrapper's own helper
    # (fwave.fwave_kernel_params), with the options the wrapper recorded, so the two cannot diverge
    from ncs_emg.fwave import fwave_kernel_params

    b = measure_fwave_trains(X3[:1], fs, t0_ms=t0, parallel=False)
    ip, fp = fwave_kernel_params(b.parameters, X3.shape[2], fs, t0)
    n_naive = 3
    nv_med, nv_min = _timeit(
        lambda: [fw_train_naive(X3[i], ip, fp, -1, 8) for i in range(n_naive)], 1
    )
    scale = n_trains / n_naive
    print(f"\n## speed: {n_trains} trains x 20 sweeps x 2000 samples ({X3.nbytes / 1e6:.0f} MB)")
    import numba

    print(f"threads: numba {numba.get_num_threads()}")
    rows = [
        ("measure_fwave_trains (parallel kernel)", t_med, t_min),
        ("np.min over the last axis (one pass)", np_med, np_min),
        (f"naive twin (x{scale:.0f} from {n_naive} trains)", nv_med * scale, nv_min * scale),
    ]
    print(f"{'what':45s} {'median s':>10s} {'min s':>10s} {'trains/s':>12s} {'ratio':>8s}")
    for name, med, mn in rows:
        print(f"{name:45s} {med:10.4f} {mn:10.4f} {n_trains / med:12.0f} {med / t_med:8.2f}")


def accuracy(n_trains):
    print(f"\n## accuracy: {n_trains} simulated trains per row (simulate_fwave_train, 20 stimuli)")
    print("SNR in the simulator's convention: 20 log10(M negative-peak amp / noise SD)")
    hdr = (
        f"{'nerve':8s} {'snr_dB':>6s} {'noise_uV':>8s} {'det_sens':>8s} {'det_spec':>8s}"
        f" {'pers_exact':>10s} {'minlat_err_med':>14s} {'minlat_err_p90':>14s} {'A_recall':>8s}"
        f" {'A_as_F':>6s} {'tail_FP':>7s}"
    )
    print(hdr)
    for nerve in ("ulnar", "tibial"):
        for snr in (50.0, 60.0, 70.0, 80.0):
            tp = fn = tn = fp_ = 0
            exact = n_exact = 0
            errs = []
            a_found = a_n = a_as_f = 0
            tail_fp = tail_n = 0
            noise = 0.0
            for s in range(n_trains):
                # big units (so that every F is >= 3x the 40 uV threshold) for the exactness check
                sim = simulate_fwave_train(
                    nerve,
                    rng=1000 + s,
                    snr_db=snr,
                    n_stimuli=20,
                    p_backfire=0.01,
                    unit_size_mv=0.15,
                    unit_size_sigma=0.3,
                )
                tr = sim.truth
                noise = tr.noise_mv
                r = measure_fwaves(sim.sweeps.data, sim.sweeps.sfreq_hz, t0_ms=sim.sweeps.t0_ms)
                big = tr.f_present & (tr.f_amplitude_mv >= 3 * 0.04)
                absent = ~tr.f_present
                tp += int((r.present & big).sum())
                fn += int((~r.present & big).sum())
                tn += int((~r.present & absent).sum())
                fp_ += int((r.present & absent).sum())
                if np.all(big | absent):
                    n_exact += 1
                    exact += int(r.persistence_pct == tr.persistence_pct)
                if not np.isnan(r.min_latency_ms) and big.any():
                    errs.append(r.min_latency_ms - np.nanmin(tr.f_latency_ms[big]))
                if tr.a_wave_present.any():
                    a_n += 1
                    lat_a = float(np.nanmin(tr.a_wave_latency_ms))
                    a_found += int(
                        any(abs(v - lat_a) < 1.0 for v in [a.onset_latency_ms for a in r.a_waves])
                    )
                    # an A-wave alone must never be read as an F-wave
                    a_as_f += int((r.present & absent & tr.a_wave_present).sum())
                # M-wave + tail + noise only: no back-firing at all
                sim0 = simulate_fwave_train(
                    nerve,
                    rng=5000 + s,
                    snr_db=snr,
                    n_stimuli=20,
                    p_backfire=0.0,
                    n_repeaters=0,
                    a_wave=False,
                )
                r0 = measure_fwaves(sim0.sweeps.data, sim0.sweeps.sfreq_hz, t0_ms=sim0.sweeps.t0_ms)
                tail_fp += int(r0.present.sum())
                tail_n += r0.n_sweeps
            e = np.abs(np.array(errs)) if errs else np.array([np.nan])
            print(
                f"{nerve:8s} {snr:6.0f} {noise * 1000:8.1f} {tp / max(1, tp + fn):8.3f}"
                f" {tn / max(1, tn + fp_):8.3f} {exact:>4d}/{n_exact:<5d}"
                f" {np.median(e):14.3f} {np.percentile(e, 90):14.3f}"
                f" {a_found / max(1, a_n):8.3f} {a_as_f:6d} {tail_fp:>3d}/{tail_n}"
            )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trains", type=int, default=4000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--accuracy-trains", type=int, default=40)
    ap.add_argument("--skip-accuracy", action="store_true")
    a = ap.parse_args()
    print(
        f"# bench_fwave: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, numpy {np.__version__}"
    )
    speed(a.trains, a.repeats)
    if not a.skip_accuracy:
        accuracy(a.accuracy_trains)


if __name__ == "__main__":
    main()
