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
F_NONFINITE = 32  # the sweep holds NaN or inf: nothing measured (the wrapper raises)

# onset method ids (registry in measure.py)
M_THRESHOLD = 0
M_TANGENT = 1
M_LEVEL = 2


@jit
def _finite(x, lo, hi):
    """True when x[lo:hi] holds no NaN or inf (0 * v is NaN exactly for non-finite v)."""
    s0 = 0.0
    s1 = 0.0
    i = lo
    while i + 2 <= hi:
        s0 += x[i] * 0.0
        s1 += x[i + 1] * 0.0
        i += 2
    if i < hi:
        s0 += x[i] * 0.0
    return s0 + s1 == 0.0


@jit
def _minmax(x, lo, hi):
    """(min, max) of x[lo:hi] (hi > lo, finite data), four independent lanes for throughput."""
    a0 = x[lo]
    a1 = a0
    a2 = a0
    a3 = a0
    b0 = a0
    b1 = a0
    b2 = a0
    b3 = a0
    i = lo
    while i + 4 <= hi:
        v0 = x[i]
        v1 = x[i + 1]
        v2 = x[i + 2]
        v3 = x[i + 3]
        a0 = v0 if v0 < a0 else a0
        a1 = v1 if v1 < a1 else a1
        a2 = v2 if v2 < a2 else a2
        a3 = v3 if v3 < a3 else a3
        b0 = v0 if v0 > b0 else b0
        b1 = v1 if v1 > b1 else b1
        b2 = v2 if v2 > b2 else b2
        b3 = v3 if v3 > b3 else b3
        i += 4
    while i < hi:
        v0 = x[i]
        a0 = v0 if v0 < a0 else a0
        b0 = v0 if v0 > b0 else b0
        i += 1
    a0 = a1 if a1 < a0 else a0
    a2 = a3 if a3 < a2 else a2
    b0 = b1 if b1 > b0 else b0
    b2 = b3 if b3 > b2 else b2
    return (a2 if a2 < a0 else a0), (b2 if b2 > b0 else b0)


@jit
def _piece(d0, d1, lo, hi, rectify):
    """Integral over [lo, hi] (fractions of one sample interval, 0 <= lo < hi <= 1) of the line from
    d0 (at 0) to d1 (at 1); rectified: of its absolute value (two triangles when it crosses zero)."""
    v0 = d0 + (d1 - d0) * lo
    v1 = d0 + (d1 - d0) * hi
    w = hi - lo
    if not rectify:
        return w * (v0 + v1) * 0.5
    if v0 * v1 < 0.0:
        return w * (v0 * v0 + v1 * v1) / (2.0 * (abs(v0) + abs(v1)))
    return w * (abs(v0) + abs(v1)) * 0.5


@jit
def lin_integral(x, base, a, b, rectify):
    """Integral of ``base - x`` (or its absolute value) over fractional samples [a, b].

    The signal is taken as piecewise linear between samples; the rectified integral is exact for that
    interpolant (a segment crossing zero contributes two triangles). Units: mV * samples.
    Whole interior segments are summed as trapezoids (|d| trapezoids, corrected where the sign changes);
    the partial segments at both ends are integrated separately.
    """
    n = x.shape[0]
    if b > n - 1:
        b = float(n - 1)
    if a < 0.0:
        a = 0.0
    if not (b > a):
        return 0.0
    ka = int(math.floor(a))
    kb = int(math.floor(b))
    if ka == kb:
        if ka + 1 >= n:
            return 0.0
        return _piece(base - x[ka], base - x[ka + 1], a - ka, b - ka, rectify)
    total = 0.0
    # leading partial segment [a, ka + 1]
    if a > ka:
        total += _piece(base - x[ka], base - x[ka + 1], a - ka, 1.0, rectify)
        first = ka + 1
    else:
        first = ka
    # whole segments [first, kb]
    if kb > first:
        acc = 0.0
        prev = base - x[first]
        if rectify:
            acc += 0.5 * abs(prev)
            for k in range(first + 1, kb + 1):
                cur = base - x[k]
                acc += abs(cur)
                if prev * cur < 0.0:
                    # trapezoid of |d| over a zero crossing overstates it: use the two triangles
                    acc += (prev * prev + cur * cur) / (2.0 * (abs(prev) + abs(cur))) - 0.5 * (
                        abs(prev) + abs(cur)
                    )
                prev = cur
            acc -= 0.5 * abs(prev)
        else:
            acc += 0.5 * prev
            for k in range(first + 1, kb + 1):
                prev = base - x[k]
                acc += prev
            acc -= 0.5 * prev
        total += acc
    # trailing partial segment [kb, b]
    if b > kb and kb + 1 < n:
        total += _piece(base - x[kb], base - x[kb + 1], 0.0, b - kb, rectify)
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
    if not _finite(x, 0, x.shape[0]):
        return F_NONFINITE
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

    # ---- saturation: longest run of samples equal to the window's min or max ----
    wmin, wmax = _minmax(x, s_start, s_stop)
    if wmax > wmin:
        run_lo = 0
        run_hi = 0
        for i in range(s_start, s_stop):
            v = x[i]
            run_lo = run_lo + 1 if v == wmin else 0
            run_hi = run_hi + 1 if v == wmax else 0
            if run_lo >= sat_n or run_hi >= sat_n:
                flags |= F_SATURATED
                break

    # ---- phases ----
    # A streak is a run of samples with |d| > te (te = max(thr, band): above threshold AND outside the
    # band, so one sign). A phase holding a streak of >= hold_n samples is significant; its boundaries
    # are found by scanning from the streak to the band crossings. Between significant phases the loop
    # only tests |d| <= te, which is cheap and well predicted on baseline noise.
    te = thr if thr > band else band
    onset_f = np.nan
    onset_i = -1
    last_neg_end = np.nan
    neg_end_before_pos = np.nan
    have_pos_after = False
    last_end = np.nan
    end_open = False
    i = s_start
    while i < s_stop:
        while i < s_stop and abs(base - x[i]) <= te:
            i += 1
        if i >= s_stop:
            break
        sg = 1.0 if base - x[i] > 0.0 else -1.0
        j = i
        while j < s_stop and sg * (base - x[j]) > te:
            j += 1
        if j - i < hold_n:
            i = j if j > i else i + 1  # (j == i cannot happen for finite data; never loop forever)
            continue
        # significant phase: its start (backward to the band crossing) and end (forward)
        k = i
        while k > s_start and sg * (base - x[k - 1]) > band:
            k -= 1
        e = j
        while e < s_stop and sg * (base - x[e]) > band:
            e += 1
        if sg > 0.0 and onset_i < 0:
            onset_i = k
            if k == s_start:
                onset_f = float(k)
                flags |= F_ONSET_AT_START
            else:
                onset_f = _crossing(base - x[k - 1], base - x[k], band, k)
        if onset_i >= 0:
            if e >= s_stop:
                end_open = True
                last_end = np.nan
                if sg > 0.0:
                    last_neg_end = np.nan
                else:
                    neg_end_before_pos = last_neg_end
                    have_pos_after = True
            else:
                end_f = _crossing(base - x[e - 1], base - x[e], sg * band, e)
                last_end = end_f
                if sg > 0.0:
                    last_neg_end = end_f
                else:
                    neg_end_before_pos = last_neg_end
                    have_pos_after = True
        i = e

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
