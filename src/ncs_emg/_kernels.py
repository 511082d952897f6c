"""All numba kernels (private). Samples in, samples out; they never raise.

Kernels return NaN and set bits in a flag word; the public wrappers in ``measure.py`` turn those into
documented flags. Options come only from ``_jit.py``. Never read module globals inside a kernel other
than the integer constants below (numba freezes them at compile time, which is what we want for them).
"""

from __future__ import annotations

import math

import numpy as np

from ._jit import jit, jit_parallel, prange

# ---- CMAP result layout -------------------------------------------------------------------------
# column indices of the float output row of the CMAP kernels
C_ONSET = 0  # onset latency, fractional sample index
C_NEG_PEAK = 1  # negative-peak position, sample index
C_NEG_AMP = 2  # negative-peak amplitude, mV (baseline - min)
C_P2P = 3  # peak-to-peak amplitude, mV
C_NEG_AREA = 4  # negative-peak area, mV * samples (signed integral of baseline - x)
C_TOT_AREA = 5  # total area, mV * samples (integral of |baseline - x|)
C_NEG_END = 6  # end of the negative-peak duration, fractional sample index
C_TOT_END = 7  # end of the total duration, fractional sample index
C_BASE = 8  # baseline, mV
C_NOISE = 9  # baseline SD, mV
N_CMAP_COLS = 10

# flag bits
F_NO_RESPONSE = 1
F_SATURATED = 2
F_END_NOT_FOUND = 4
F_ONSET_AT_START = 8
F_ONSET_NOT_FOUND = 16

# onset method ids (registry in measure.py)
M_THRESHOLD = 0
M_TANGENT = 1
M_LEVEL = 2


@jit
def lin_integral(x, base, a, b, rectify):
    """Integral of ``base - x`` (or its absolute value) over fractional samples [a, b].

    The signal is taken as piecewise linear between samples; the rectified integral is exact for that
    interpolant (a segment crossing zero contributes two triangles). Units: mV * samples.
    """
    n = x.shape[0]
    if not (b > a):
        return 0.0
    total = 0.0
    k = int(math.floor(a))
    if k < 0:
        k = 0
    while k < b and k + 1 < n:
        lo = a if a > k else float(k)
        hi = b if b < k + 1 else float(k + 1)
        if hi > lo:
            d0 = base - x[k]
            d1 = base - x[k + 1]
            v0 = d0 + (d1 - d0) * (lo - k)
            v1 = d0 + (d1 - d0) * (hi - k)
            w = hi - lo
            if rectify:
                if v0 * v1 < 0.0:
                    total += w * (v0 * v0 + v1 * v1) / (2.0 * (abs(v0) + abs(v1)))
                else:
                    total += w * (abs(v0) + abs(v1)) * 0.5
            else:
                total += w * (v0 + v1) * 0.5
        k += 1
    return total


@jit
def _crossing(d_prev, d_cur, level, i):
    """Fractional index between i-1 and i where a line from d_prev to d_cur meets ``level``."""
    den = d_cur - d_prev
    if den == 0.0:
        return float(i)
    f = (level - d_prev) / den
    if f < 0.0:
        f = 0.0
    elif f > 1.0:
        f = 1.0
    return i - 1.0 + f


@jit
def cmap_sweep(
    x,
    bl_start,
    bl_stop,
    s_start,
    s_stop,
    k_sd,
    min_thr,
    hold_n,
    band_mv,
    band_k,
    method,
    level,
    sat_n,
    out,
):
    """Measure one CMAP sweep ``x`` (mV). Writes ``out[:N_CMAP_COLS]`` and returns the flag word.

    Baseline = mean of x[bl_start:bl_stop], noise = its SD (ddof=0). Deviation d = baseline - x
    (positive below baseline, i.e. in a negative phase). Phases are maximal runs with d > band
    (negative phase) or d < -band (positive phase), band = max(band_mv, band_k * noise); a phase is
    significant when |d| > thr for at least ``hold_n`` consecutive samples, thr = max(k_sd * noise,
    min_thr). The response starts with the first
    significant negative phase after ``s_start``.
    """
    for c in range(N_CMAP_COLS):
        out[c] = np.nan
    flags = 0
    nb = bl_stop - bl_start
    # shifted mean: exact for a constant baseline, so noise-free tails return exactly to it
    ref = x[bl_start]
    acc = 0.0
    for i in range(bl_start, bl_stop):
        acc += x[i] - ref
    base = ref + acc / nb
    ss = 0.0
    for i in range(bl_start, bl_stop):
        ss += (x[i] - base) * (x[i] - base)
    noise = math.sqrt(ss / nb)
    out[C_BASE] = base
    out[C_NOISE] = noise
    thr = k_sd * noise
    if thr < min_thr:
        thr = min_thr
    band = band_k * noise
    if band < band_mv:
        band = band_mv

    # ---- one pass: phases, saturation runs ----
    wmin = np.inf
    wmax = -np.inf
    min_run = 0
    max_run = 0
    best_min_run = 0
    best_max_run = 0
    onset_f = np.nan  # start of first significant negative phase
    onset_i = -1
    cur_sign = 0
    cur_start_f = 0.0
    cur_start_i = 0
    cur_streak = 0
    cur_sig = False
    last_neg_end = np.nan
    neg_end_before_pos = np.nan
    have_pos_after = False
    last_end = np.nan
    end_open = False
    for i in range(s_start, s_stop):
        xi = x[i]
        # saturation bookkeeping: longest run of samples equal to the running min / max
        if xi < wmin:
            wmin = xi
            min_run = 1
            best_min_run = 1
        elif xi == wmin:
            if i > s_start and x[i - 1] == xi:
                min_run += 1
            else:
                min_run = 1
            if min_run > best_min_run:
                best_min_run = min_run
        if xi > wmax:
            wmax = xi
            max_run = 1
            best_max_run = 1
        elif xi == wmax:
            if i > s_start and x[i - 1] == xi:
                max_run += 1
            else:
                max_run = 1
            if max_run > best_max_run:
                best_max_run = max_run
        d = base - xi
        s = 1 if d > band else (-1 if d < -band else 0)
        if s != cur_sign:
            # close the current phase
            if cur_sign != 0 and cur_sig:
                lvl = band if cur_sign > 0 else -band
                end_f = _crossing(base - x[i - 1], d, lvl, i)
                if onset_i >= 0:
                    last_end = end_f
                    if cur_sign > 0:
                        last_neg_end = end_f
                    else:
                        neg_end_before_pos = last_neg_end
                        have_pos_after = True
            # open a new one
            cur_sign = s
            cur_streak = 0
            cur_sig = False
            cur_start_i = i
            if s != 0:
                if i == s_start:
                    cur_start_f = float(i)
                else:
                    lvl = band if s > 0 else -band
                    cur_start_f = _crossing(base - x[i - 1], d, lvl, i)
        if s != 0:
            if abs(d) > thr:
                cur_streak += 1
                if cur_streak >= hold_n and not cur_sig:
                    cur_sig = True
                    if s > 0 and onset_i < 0:
                        onset_i = cur_start_i
                        onset_f = cur_start_f
                        if cur_start_i == s_start:
                            flags |= F_ONSET_AT_START
            else:
                cur_streak = 0
    # a significant phase still open at the end of the search window
    if cur_sign != 0 and cur_sig and onset_i >= 0:
        end_open = True
        if cur_sign > 0:
            last_neg_end = np.nan
        else:
            neg_end_before_pos = last_neg_end
            have_pos_after = True
        last_end = np.nan

    if wmax > wmin and (best_min_run >= sat_n or best_max_run >= sat_n):
        flags |= F_SATURATED
    if onset_i < 0:
        return flags | F_NO_RESPONSE

    neg_end = neg_end_before_pos if have_pos_after else last_neg_end
    tot_end = last_end
    if end_open:
        flags |= F_END_NOT_FOUND

    # ---- negative peak: most negative sample of the negative-peak window ----
    stop_pk = s_stop - 1
    if not np.isnan(neg_end):
        stop_pk = int(math.floor(neg_end))
        if stop_pk >= s_stop:
            stop_pk = s_stop - 1
    pk = onset_i
    for i in range(onset_i, stop_pk + 1):
        if x[i] < x[pk]:
            pk = i
    out[C_NEG_PEAK] = float(pk)
    out[C_NEG_AMP] = base - x[pk]
    stop_pp = s_stop - 1
    if not np.isnan(tot_end):
        stop_pp = int(math.ceil(tot_end))
        if stop_pp >= s_stop:
            stop_pp = s_stop - 1
    xm = x[pk]
    for i in range(pk, stop_pp + 1):
        if x[i] > xm:
            xm = x[i]
    out[C_P2P] = xm - x[pk]

    # ---- onset by the selected method ----
    if method == 1:  # tangent at the steepest descent of the first negative phase
        # first negative phase: from onset_i until the deviation stops rising above thr region peak
        best = 0.0
        bi = -1
        i = onset_i
        while i + 1 < s_stop:
            d0 = base - x[i]
            d1 = base - x[i + 1]
            if d1 < d0 and d0 > thr:  # passed the first local maximum of the deviation
                break
            if d1 - d0 > best:
                best = d1 - d0
                bi = i
            i += 1
        if bi < 0:
            onset_f = np.nan
            flags |= F_ONSET_NOT_FOUND
        else:
            onset_f = bi - (base - x[bi]) / best
    elif method == 2:  # first crossing of a fixed level, no refinement
        onset_f = np.nan
        prev = base - x[onset_i - 1] if onset_i > 0 else 0.0
        for i in range(onset_i, s_stop):
            d = base - x[i]
            if d > level:
                onset_f = _crossing(prev, d, level, i) if i > 0 else float(i)
                break
            prev = d
        if np.isnan(onset_f):
            flags |= F_ONSET_NOT_FOUND
    out[C_ONSET] = onset_f
    if (flags & F_ONSET_AT_START) != 0:
        out[C_ONSET] = np.nan
        onset_f = np.nan

    # ---- ends, durations and areas ----
    out[C_NEG_END] = neg_end
    out[C_TOT_END] = tot_end
    if not np.isnan(onset_f):
        if not np.isnan(neg_end):
            out[C_NEG_AREA] = lin_integral(x, base, onset_f, neg_end, False)
        if not np.isnan(tot_end):
            out[C_TOT_AREA] = lin_integral(x, base, onset_f, tot_end, True)
    if (flags & F_SATURATED) != 0:
        out[C_NEG_AMP] = np.nan
        out[C_P2P] = np.nan
        out[C_NEG_AREA] = np.nan
        out[C_TOT_AREA] = np.nan
    return flags


@jit
def cmap_serial(
    X,
    bl_start,
    bl_stop,
    s_start,
    s_stop,
    k_sd,
    min_thr,
    hold_n,
    band_mv,
    band_k,
    method,
    level,
    sat_n,
    out,
    flags,
):
    """Serial loop over the rows of ``X`` (use for few sweeps: no thread start-up)."""
    for r in range(X.shape[0]):
        flags[r] = cmap_sweep(
            X[r],
            bl_start,
            bl_stop,
            s_start,
            s_stop,
            k_sd,
            min_thr,
            hold_n,
            band_mv,
            band_k,
            method,
            level,
            sat_n,
            out[r],
        )


@jit_parallel
def cmap_batch(
    X,
    bl_start,
    bl_stop,
    s_start,
    s_stop,
    k_sd,
    min_thr,
    hold_n,
    band_mv,
    band_k,
    method,
    level,
    sat_n,
    out,
    flags,
):
    """Parallel loop over the rows of ``X``; each iteration writes only its own row."""
    for r in prange(X.shape[0]):
        flags[r] = cmap_sweep(
            X[r],
            bl_start,
            bl_stop,
            s_start,
            s_stop,
            k_sd,
            min_thr,
            hold_n,
            band_mv,
            band_k,
            method,
            level,
            sat_n,
            out[r],
        )
