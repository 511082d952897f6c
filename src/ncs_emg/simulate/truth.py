"""Ground-truth CMAP measures from the generative model (plain NumPy, independent of the kernels).

The simulator knows every motor unit: its arrival time, size and MUAP shape. The truth of a site is the
noise-free sum of its MUAPs evaluated on a fine time grid (:data:`TRUTH_STEP_MS` = 10 µs, whatever
the recording's sampling rate), measured by the definitions of ``docs/measures.md`` written out directly
here, step by step, with no code shared with :func:`ncs_emg.measure_cmap` (which the truth judges):

* baseline 0 (the model has no offset); the phase boundaries are the crossings of a band of
  :data:`TRUTH_BAND_MV` = 1 µV, the resolution of a 16-bit amplifier at +-32 mV;
* negative-peak amplitude and latency: the minimum of the waveform; peak-to-peak: the maximum after it
  minus that minimum;
* a *major* phase peaks at >= :data:`TRUTH_PHASE_PCT` % of the negative-peak amplitude (the definition
  of "a phase" used for the ends: a small wiggle after a large positive lobe is not "the last negative
  phase");
* a phase ends where the waveform, after the phase's extreme, re-enters the end band
  ``max(1 µV, TRUTH_END_BAND_PCT % of the amplitude)``, or, when it goes on to the 1 µV band within
  :data:`TRUTH_END_LAG_MS`, at that crossing (a steep return: the baseline crossing itself);
* negative-peak duration: from the detectable onset to the end of the last major negative phase
  that precedes the final major positive phase (EFNS/PNS 2010 wording), a negative phase after a
  positive lobe counting only when its peak is >= :data:`TRUTH_REBOUND_PCT` % of that lobe's; total
  duration: to the end of the last major phase; areas: the integrals of -x (signed) and |x| over those windows (trapezoids on the
  10 µs grid).

These are the package's documented definitions with their default numbers; they are stated here again
as constants so that the truth does not read the code under test.
"""

from __future__ import annotations

import math

import numpy as np

from . import _core as C

__all__ = [
    "TRUTH_BAND_MV",
    "TRUTH_STEP_MS",
    "TRUTH_PHASE_PCT",
    "TRUTH_END_BAND_PCT",
    "TRUTH_END_LAG_MS",
    "TRUTH_REBOUND_PCT",
    "truth_measures",
]

#: Band (mV) around the zero baseline inside which the noise-free waveform is "at baseline".
TRUTH_BAND_MV = 0.001
#: Time step (ms) of the fine grid on which the model is evaluated.
TRUTH_STEP_MS = 0.01
#: A major phase peaks at >= this % of the negative-peak amplitude.
TRUTH_PHASE_PCT = 10.0
#: Phase ends: band floor in % of the negative-peak amplitude (asymptotic tails).
TRUTH_END_BAND_PCT = 1.0
#: A negative phase after a positive lobe counts for the negative-peak window when its peak is >= this
#: % of that lobe's (a large lobe's small undershoot is not "the last negative phase").
TRUTH_REBOUND_PCT = 50.0
#: A phase end is the 1 µV crossing when it follows the end-band crossing within this time (ms).
TRUTH_END_LAG_MS = 0.5

_NAN_MEASURES = {
    "onset_latency_ms": math.nan,
    "neg_peak_latency_ms": math.nan,
    "neg_peak_amp_mv": math.nan,
    "peak_to_peak_amp_mv": math.nan,
    "neg_area_mv_ms": math.nan,
    "total_area_mv_ms": math.nan,
    "neg_duration_ms": math.nan,
    "total_duration_ms": math.nan,
}


def model_waveform(
    arrival_ms: np.ndarray, size_mv: np.ndarray, neg_ms: np.ndarray, pos_ms: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The MUAP sum on the fine grid from the first arrival to the end of the last MUAP: (t_ms, x_mv)."""
    start = float(arrival_ms.min())
    end = float(np.max(arrival_ms + neg_ms + pos_ms))
    n = int(math.ceil((end - start) / TRUTH_STEP_MS)) + 2
    x = C.sum_muaps(
        arrival_ms, size_mv, neg_ms, pos_ms, t0_ms=start, dt_ms=TRUTH_STEP_MS, n_samples=n
    )
    return start + TRUTH_STEP_MS * np.arange(n), x


def _runs(x: np.ndarray) -> list[tuple[int, int, int]]:
    """Maximal runs of one sign outside the 1 µV band: (sign, first, stop) with sign +1 = negative."""
    s = np.where(x < -TRUTH_BAND_MV, 1, np.where(x > TRUTH_BAND_MV, -1, 0))
    edges = np.flatnonzero(np.diff(s)) + 1
    bounds = np.r_[0, edges, s.size]
    return [
        (int(s[a]), int(a), int(b))
        for a, b in zip(bounds[:-1], bounds[1:], strict=True)
        if s[a] != 0
    ]


def _cross(t: np.ndarray, d: np.ndarray, j: int, level: float) -> float:
    """Time where the line from (t[j-1], d[j-1]) to (t[j], d[j]) meets ``level``."""
    a, b = d[j - 1], d[j]
    f = 0.0 if b == a else min(1.0, max(0.0, (level - a) / (b - a)))
    return float(t[j - 1] + f * (t[j] - t[j - 1]))


def _phase_end(
    t: np.ndarray, x: np.ndarray, sign: int, first: int, stop: int, *, end_band: float
) -> float:
    """End time of a phase (its extreme, then the end band or the 1 µV band soon after it)."""
    d = sign * -x  # > 0 inside the phase
    p = first + int(np.argmax(d[first:stop]))
    after = np.flatnonzero(d[p + 1 :] <= end_band)
    if after.size == 0:
        return math.nan
    j = p + 1 + int(after[0])
    lag = int(round(TRUTH_END_LAG_MS / TRUTH_STEP_MS))
    near = np.flatnonzero(d[j : j + lag + 1] <= TRUTH_BAND_MV)
    if near.size:
        k = j + int(near[0])
        return _cross(t, d, k, TRUTH_BAND_MV) if k > 0 else float(t[k])
    return _cross(t, d, j, end_band)


def _integral(t: np.ndarray, y: np.ndarray, a: float, b: float) -> float:
    """Trapezoid integral of y over [a, b] on the fine grid (interpolated ends)."""
    if not b > a:
        return 0.0
    inner = (t > a) & (t < b)
    tt = np.r_[a, t[inner], b]
    yy = np.r_[np.interp(a, t, y), y[inner], np.interp(b, t, y)]
    return float(np.sum(0.5 * (yy[1:] + yy[:-1]) * np.diff(tt)))


def truth_measures(
    arrival_ms: np.ndarray,
    size_mv: np.ndarray,
    neg_ms: np.ndarray,
    pos_ms: np.ndarray,
    *,
    onset_ms: float,
    sweep_end_ms: float,
) -> dict[str, float]:
    """CMAP truth of the units given (their MUAPs summed on the fine grid), by the definitions above.

    ``onset_ms`` is the onset the durations and areas start from (the detectable onset); the waveform
    is cut at ``sweep_end_ms`` (the recording's end): an end after it is NaN, as it is unobservable.
    Every value NaN when no unit conducts.
    """
    if arrival_ms.size == 0 or not math.isfinite(onset_ms):
        return dict(_NAN_MEASURES)
    t, x = model_waveform(arrival_ms, size_mv, neg_ms, pos_ms)
    keep = t <= sweep_end_ms
    t, x = t[keep], x[keep]
    pk = int(np.argmin(x))
    amp = float(-x[pk])
    p2p = float(x[pk:].max() - x[pk])
    end_band = max(TRUTH_BAND_MV, TRUTH_END_BAND_PCT / 100.0 * amp)
    major = TRUTH_PHASE_PCT / 100.0 * amp
    phases = [r for r in _runs(x) if np.max(r[0] * -x[r[1] : r[2]]) >= major]
    first_neg = next(i for i, r in enumerate(phases) if r[0] > 0)
    phases = phases[first_neg:]  # the response starts with its first negative phase
    ends = [_phase_end(t, x, s, a, b, end_band=end_band) for s, a, b in phases]
    signs = [s for s, _a, _b in phases]
    tot_end = ends[-1]
    peaks = [float(np.max(s * -x[a:b])) for s, a, b in phases]
    # negative phases that count for the window: not the small undershoot of a larger positive lobe
    window, last_pos = [], 0.0
    for i, (s, pk_dev) in enumerate(zip(signs, peaks, strict=True)):
        if s < 0:
            last_pos = pk_dev
            window.append(i)
        elif pk_dev >= TRUTH_REBOUND_PCT / 100.0 * last_pos:
            window.append(i)
    last_pos_i = max((i for i in window if signs[i] < 0), default=None)
    negs = [i for i in window if signs[i] > 0 and (last_pos_i is None or i < last_pos_i)]
    neg_end = ends[negs[-1]]
    return {
        "onset_latency_ms": onset_ms,
        "neg_peak_latency_ms": float(t[pk]),
        "neg_peak_amp_mv": amp,
        "peak_to_peak_amp_mv": p2p,
        "neg_area_mv_ms": _integral(t, -x, onset_ms, neg_end)
        if math.isfinite(neg_end)
        else math.nan,
        "total_area_mv_ms": (
            _integral(t, np.abs(x), onset_ms, tot_end) if math.isfinite(tot_end) else math.nan
        ),
        "neg_duration_ms": neg_end - onset_ms,
        "total_duration_ms": tot_end - onset_ms,
    }
