"""All numba kernels (private). Samples in, samples out; they never raise.

Kernels return NaN and set bits in a flag word; the public wrappers in ``measure.py`` turn those into
documented flags. Options come only from ``_jit.py``. Never read module globals inside a kernel other
than the integer constants below (numba freezes them at compile time, which is what we want for them).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ._jit import jit, jit_internal, jit_parallel, prange

if TYPE_CHECKING:
    from numpy.typing import NDArray

# ---- CMAP calling convention --------------------------------------------------------------------
# Every kernel takes its parameters in two arrays, ``ip`` (int64: sample indices and counts) and
# ``fp`` (float64), indexed by named constants: CMAP kernels by CIP_*/CFP_*, F-wave kernels by
# FIP_*/FFP_* (which hold the CMAP arrays of their M-wave step as one slice). measure.cmap_kernel_params
# builds the CMAP arrays from a CmapParams, so the defaults live in one place.
CIP_BL_START = 0  # baseline window start
CIP_BL_STOP = 1  # baseline window stop (exclusive)
CIP_S_START = 2  # search window start
CIP_S_STOP = 3  # search window stop (exclusive)
CIP_HOLD = 4  # samples |d| must stay above threshold for a phase to be significant
CIP_SAT = 5  # run of identical extreme samples that flags saturation
CIP_FIT = 6  # half-width of the parabolic peak fit, samples (0: the extreme sample)
CIP_METHOD = 7  # onset detector: M_THRESHOLD, M_TANGENT or M_LEVEL
CIP_GAP = 8  # largest baseline gap (samples) between two phases of one response
# a minor phase before the main one that returns to baseline this long is an excursion
CIP_EXC_GAP = 9
CIP_END_LAG = 10  # a phase end is the band crossing when it follows the end-band crossing this soon
N_CIP = 11

CFP_K_SD = 0  # significance threshold in baseline SDs
CFP_MIN_THR = 1  # threshold floor, mV
CFP_BAND_MV = 2  # at-baseline band floor, mV
CFP_BAND_K = 3  # at-baseline band in baseline SDs
CFP_LEVEL = 4  # level of the "level" detector, mV
CFP_RES_K = 5  # at-baseline band floor in units of the recording resolution
CFP_END_FRAC = 6  # end band floor as a fraction of the negative-peak amplitude
CFP_PHASE_FRAC = 7  # major phase: peak deviation >= this fraction of the negative-peak amplitude
CFP_REBOUND_FRAC = 8  # a negative phase after a positive lobe extends the negative-peak window only
#                       when its peak is >= this fraction of that lobe's
N_CFP = 9

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
C_THR = 10  # significance threshold used, mV
C_BAND = 11  # at-baseline band used for onsets and phase boundaries, mV
C_END_BAND = 12  # band used for the ends of the response's phases, mV
C_RES = 13  # recording resolution: smallest non-zero step between samples, mV (0: none seen)
C_N_EXC = 14  # significant phases before the response (excursions not counted as the response)
C_LEAD_POS = (
    15  # largest positive deviation (x - baseline) of response phases before the main one, mV
)
N_CMAP_COLS = 16

# flag bits
F_NO_RESPONSE = 1
F_SATURATED = 2
F_END_NOT_FOUND = 4
F_ONSET_AT_START = 8
F_ONSET_NOT_FOUND = 16
F_NONFINITE = 32  # the sweep holds NaN or inf: nothing measured (the wrapper raises)
F_EXCURSION = 64  # significant phases before the response were not counted as the response
F_ONSET_FOOT = (
    128  # the signal never returned inside the band after the search start (offset, drift,
)
#                     artefact tail): the onset is the foot, the closest approach to baseline before it

# ``rectify`` argument of lin_integral
SIGNED = 0.0
RECTIFIED = 1.0

# onset method ids (registry in measure.py)
M_THRESHOLD = 0
M_TANGENT = 1
M_LEVEL = 2


@jit_internal
def _finite(x: NDArray[np.float64], lo: int, hi: int) -> bool:
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


@jit_internal
def mean_sd(x: NDArray[np.float64], lo: int, hi: int) -> tuple[float, float]:
    """Mean and SD (ddof=0) of x[lo:hi] with a shifted sum: exact for a constant window, so noise-free
    tails return exactly to the baseline. Used for the CMAP baseline and the F-wave guard window."""
    nb = hi - lo
    ref = x[lo]
    acc = 0.0
    for i in range(lo, hi):
        acc += x[i] - ref
    mu = ref + acc / nb
    ss = 0.0
    for i in range(lo, hi):
        ss += (x[i] - mu) * (x[i] - mu)
    return mu, math.sqrt(ss / nb)


@jit_internal
def _piece(d0: float, d1: float, lo: float, hi: float, rectify: float) -> float:
    """Integral over [lo, hi] (fractions of one sample interval, 0 <= lo < hi <= 1) of the line from
    d0 (at 0) to d1 (at 1); rectified (``rectify`` > 0): of its absolute value (two triangles when it
    crosses zero)."""
    v0 = d0 + (d1 - d0) * lo
    v1 = d0 + (d1 - d0) * hi
    w = hi - lo
    if not rectify > 0.0:
        return w * (v0 + v1) * 0.5
    if v0 * v1 < 0.0:
        return w * (v0 * v0 + v1 * v1) / (2.0 * (abs(v0) + abs(v1)))
    return w * (abs(v0) + abs(v1)) * 0.5


@jit
def lin_integral(x: NDArray[np.float64], base: float, a: float, b: float, rectify: float) -> float:
    """Integral of ``base - x`` (or, ``rectify`` > 0, its absolute value) over fractional samples [a, b].

    ``rectify`` is a float (SIGNED or RECTIFIED), not a bool: numba compiles a separate variant for
    each literal bool constant a caller passes, and a float constant is not a literal.

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
        if rectify > 0.0:
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


@jit_internal
def quad_vertex(x: NDArray[np.float64], i: int, h: int, sign: float) -> tuple[float, float]:
    """Vertex of the least-squares parabola through x[i-h .. i+h] (clipped to the array).

    Returns ``(offset, value)``: the vertex position relative to sample ``i`` (samples) and the
    parabola's value there. Falls back to ``(0.0, x[i])`` when ``h`` < 1, fewer than 3 samples are
    available, the parabola does not open the expected way (``sign`` = +1: a minimum, -1: a maximum),
    or the vertex lies outside the window. Callers bound how far the vertex value may move from the
    sample (see cmap_sweep). Solved by Cramer's rule on the normal equations, with t
    centred on ``i`` and values relative to x[i] for conditioning.
    """
    n = x.shape[0]
    lo = i - h
    hi = i + h
    if lo < 0:
        lo = 0
    if hi > n - 1:
        hi = n - 1
    if h < 1 or hi - lo < 2:
        return 0.0, x[i]
    s0 = 0.0
    s1 = 0.0
    s2 = 0.0
    s3 = 0.0
    s4 = 0.0
    y0 = 0.0
    y1 = 0.0
    y2 = 0.0
    xi = x[i]
    for q in range(lo, hi + 1):
        t = float(q - i)
        y = x[q] - xi
        t2 = t * t
        s0 += 1.0
        s1 += t
        s2 += t2
        s3 += t2 * t
        s4 += t2 * t2
        y0 += y
        y1 += t * y
        y2 += t2 * y
    det = s4 * (s2 * s0 - s1 * s1) - s3 * (s3 * s0 - s1 * s2) + s2 * (s3 * s1 - s2 * s2)
    if det == 0.0:
        return 0.0, xi
    a = (y2 * (s2 * s0 - s1 * s1) - s3 * (y1 * s0 - s1 * y0) + s2 * (y1 * s1 - s2 * y0)) / det
    b = (s4 * (y1 * s0 - s1 * y0) - y2 * (s3 * s0 - s1 * s2) + s2 * (s3 * y0 - y1 * s2)) / det
    c = (s4 * (s2 * y0 - y1 * s1) - s3 * (s3 * y0 - y1 * s2) + y2 * (s3 * s1 - s2 * s2)) / det
    if sign * a <= 0.0:
        return 0.0, xi
    tv = -b / (2.0 * a)
    if tv < lo - i or tv > hi - i:
        return 0.0, xi
    return tv, xi + c - b * b / (4.0 * a)


@jit_internal
def _crossing(d_prev: float, d_cur: float, level: float, i: int) -> float:
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


@jit_internal
def resolution(x: NDArray[np.float64], lo: int, hi: int, max_frac: float) -> float:
    """Quantisation step of x[lo:hi] (mV), or 0.0 when the samples do not lie on a fine grid.

    q = the smallest non-zero |x[i+1] - x[i]|; it is the resolution when every sample lies on the grid
    x[lo] + k q (within 1e-6 of a step), as quantised recordings do, and q <= max_frac * (max - min)
    (a fine grid: a straight ramp also has equal steps, but few of them). Continuous data (noisy, or a
    smooth noise-free waveform whose steps shrink at its peaks) fail the grid test: 0.0."""
    q = np.inf
    lo_v = x[lo]
    hi_v = x[lo]
    for i in range(lo, hi - 1):
        s = abs(x[i + 1] - x[i])
        if s > 0.0 and s < q:
            q = s
        lo_v = min(lo_v, x[i + 1])
        hi_v = max(hi_v, x[i + 1])
    if q == np.inf or not q <= max_frac * (hi_v - lo_v):
        return 0.0
    x0 = x[lo]
    for i in range(lo, hi):
        r = (x[i] - x0) / q
        if not abs(r - np.floor(r + 0.5)) <= 1e-6:
            return 0.0
    return q


@jit_internal
def cmap_levels(
    x: NDArray[np.float64], ip: NDArray[np.int64], fp: NDArray[np.float64], out: NDArray[np.float64]
) -> tuple[float, float, float, float]:
    """Baseline, noise, resolution, threshold and band of one sweep (written to ``out``).

    thr = max(k_sd * SD, min_thr); band = max(band_mv, band_k * SD, res_k * q) with q the recording
    resolution (``resolution``) of the baseline window, or of the search window (a grid of at least
    100 steps) when the baseline is constant (noise-free or quantised to one level). Returns (base, noise, thr, band)."""
    base, noise = mean_sd(x, ip[CIP_BL_START], ip[CIP_BL_STOP])
    if noise > 0.0:
        q = resolution(x, ip[CIP_BL_START], ip[CIP_BL_STOP], 1.0)
    else:  # a constant baseline shows no step: the search window, on a grid of >= 100 steps
        q = resolution(x, ip[CIP_S_START], ip[CIP_S_STOP], 0.01)
    thr = max(fp[CFP_K_SD] * noise, fp[CFP_MIN_THR])
    band = max(fp[CFP_BAND_MV], fp[CFP_BAND_K] * noise, fp[CFP_RES_K] * q)
    out[C_BASE] = base
    out[C_NOISE] = noise
    out[C_RES] = q
    out[C_THR] = thr
    out[C_BAND] = band
    return base, noise, thr, band


@jit_internal
def next_phase(
    x: NDArray[np.float64],
    base: float,
    i: int,
    s_start: int,
    s_stop: int,
    te: float,
    band: float,
    hold_n: int,
) -> tuple[int, int, float, int]:
    """The next significant phase at or after sample ``i``: ``(k, e, sg, i_next)``.

    d = base - x. A streak is a run of samples with sg * d > te (te = max(thr, band); sg = +1 below
    baseline, a negative phase; -1 above). The first streak of >= hold_n samples makes its phase
    significant; the phase runs back from the streak to the first sample outside the band (k) and
    forward to the first sample back inside it (e, exclusive; s_stop when it never returns).
    k = -1 when no significant phase remains. Quiet samples cost one comparison each."""
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
            i = j if j > i else i + 1
            continue
        k = i
        while k > s_start and sg * (base - x[k - 1]) > band:
            k -= 1
        e = j
        while e < s_stop and sg * (base - x[e]) > band:
            e += 1
        return k, e, sg, e
    return -1, s_stop, 0.0, s_stop


@jit_internal
def phase_extreme(x: NDArray[np.float64], k: int, e: int, sg: float) -> int:
    """Index of the first most negative (sg > 0) or most positive (sg < 0) sample of x[k:e]."""
    p = k
    for q in range(k + 1, e):
        if sg * (x[p] - x[q]) > 0.0:
            p = q
    return p


@jit_internal
def phase_end(
    x: NDArray[np.float64],
    base: float,
    p: int,
    s_stop: int,
    sg: float,
    end_band: float,
    band: float,
    lag_n: int,
) -> float:
    """End of the phase whose extreme is sample ``p`` (fractional index; NaN when open).

    The phase has ended where the signal re-enters ``end_band`` after its extreme. When it goes on to
    the at-baseline ``band`` within ``lag_n`` samples (a steep return, or a crossing into the next
    phase) the end is that band crossing, the same level as onsets; otherwise (a slow tail: filter,
    drift, asymptotic decay) the end-band crossing. NaN when the end band is not re-entered before the
    end of the search window."""
    j = p + 1
    while j < s_stop and sg * (base - x[j]) > end_band:
        j += 1
    if j >= s_stop:
        return np.nan
    end_f = _crossing(base - x[j - 1], base - x[j], sg * end_band, j)
    k = j
    while k < s_stop and k - j < lag_n and sg * (base - x[k]) > band:
        k += 1
    if k < s_stop and sg * (base - x[k]) <= band:
        end_f = _crossing(base - x[k - 1], base - x[k], sg * band, k)
    return end_f


@jit_internal
def first_min(x: NDArray[np.float64], lo: int, hi: int) -> int:
    """Index of the first smallest sample of x[lo:hi] (four independent lanes, then an early-exit
    scan for its index: cheaper than tracking the index in the hot loop)."""
    xs = x[lo:hi]
    n = hi - lo
    m0 = np.inf
    m1 = np.inf
    m2 = np.inf
    m3 = np.inf
    for j in range(n // 4):
        v0 = xs[4 * j]
        v1 = xs[4 * j + 1]
        v2 = xs[4 * j + 2]
        v3 = xs[4 * j + 3]
        m0 = v0 if v0 < m0 else m0
        m1 = v1 if v1 < m1 else m1
        m2 = v2 if v2 < m2 else m2
        m3 = v3 if v3 < m3 else m3
    for j in range(n - n % 4, n):
        m0 = xs[j] if xs[j] < m0 else m0
    m0 = m0 if m0 < m1 else m1
    m2 = m2 if m2 < m3 else m3
    mn = m0 if m0 < m2 else m2
    for j in range(n):
        if xs[j] == mn:
            return lo + j
    return lo


@jit_internal
def main_phase(
    x: NDArray[np.float64], base: float, ip: NDArray[np.int64], te: float, band: float
) -> tuple[int, int]:
    """Pass 1: the main negative phase, the significant negative phase holding the most negative
    sample. Returns (main_k, main_pk); main_k = -1 when there is no significant negative phase.

    Fast path: the phase around the first smallest sample of the search window, when that phase is
    significant (it then holds the most negative sample of all). Otherwise (the minimum is a short
    spike) every significant phase is visited."""
    s_start = ip[CIP_S_START]
    s_stop = ip[CIP_S_STOP]
    hold_n = ip[CIP_HOLD]
    pk = first_min(x, s_start, s_stop)
    if not base - x[pk] > te:
        return -1, -1  # no sample reaches the threshold below baseline: no negative phase can
    k = pk
    while k > s_start and base - x[k - 1] > band:
        k -= 1
    run = 0
    q = k
    while q < s_stop and base - x[q] > band:
        run = run + 1 if base - x[q] > te else 0
        if run >= hold_n:
            return k, pk
        q += 1
    main_k = -1
    main_pk = -1
    neg_min = np.inf
    i = s_start
    while i < s_stop:
        k, e, sg, i = next_phase(x, base, i, s_start, s_stop, te, band, hold_n)
        if k < 0:
            break
        if sg > 0.0:
            p = phase_extreme(x, k, e, sg)
            if x[p] < neg_min:
                neg_min = x[p]
                main_k = k
                main_pk = p
    return main_k, main_pk


@jit_internal
def saturated(
    x: NDArray[np.float64], lo: int, hi: int, neg_min: float, pos_max: float, sat_n: int
) -> bool:
    """True when x[lo:hi] holds a run of >= sat_n identical samples equal to ``neg_min`` or to
    ``pos_max`` (the amplifier clipped the response)."""
    run_lo = 0
    run_hi = 0
    for q in range(lo, hi):
        run_lo = run_lo + 1 if x[q] == neg_min else 0
        run_hi = run_hi + 1 if x[q] == pos_max else 0
        if run_lo >= sat_n or run_hi >= sat_n:
            return True
    return False


@jit_internal
def quiet_until(x: NDArray[np.float64], base: float, i: int, stop: int, band: float) -> bool:
    """True when every sample of x[i:stop] lies inside the band around the baseline."""
    for q in range(i, stop):
        if abs(base - x[q]) > band:
            return False
    return True


@jit_internal
def response_chain(
    x: NDArray[np.float64],
    base: float,
    ip: NDArray[np.int64],
    fp: NDArray[np.float64],
    te: float,
    band: float,
    end_band: float,
    major: float,
    main_k: int,
) -> tuple[int, float, float, bool, int, float, int, int, float]:
    """Pass 2: the phases that make up the response around the main negative phase.

    Walking the significant phases in time order: before the main phase, a candidate chain of phases
    is broken (its phases become excursions) where the baseline gap to the next phase exceeds
    ``gap`` samples, or where a minor phase (peak deviation < ``major``) returned to baseline for at
    least ``exc_gap`` samples before the next one. After the main phase, phases belong to the response
    while the gap to the previous one is <= ``gap``; minor ones only keep the chain connected, and a
    major negative phase after a positive lobe extends the negative-peak window only when its peak
    is >= ``rebound_frac`` of that lobe's (a large lobe's small undershoot is not a negative phase).
    Returns (onset index: start of the chain's first negative phase; end of the negative-peak window:
    end of the last major negative phase before the final major positive phase, or of the last major
    negative phase when none follows; end of the total duration: end of the last major phase; whether
    that end is open; excursions; largest positive deviation of the chain's phases before the main
    one, phases starting at the search start (an artefact tail) excluded). Ends are where the phase
    re-enters ``end_band`` after its extreme (NaN: not before the end of the search window); then the
    response's first sample, its stop (one past its last phase) and its most positive sample)."""
    s_start = ip[CIP_S_START]
    s_stop = ip[CIP_S_STOP]
    hold_n = ip[CIP_HOLD]
    gap_n = ip[CIP_GAP]
    exc_n = ip[CIP_EXC_GAP]
    n_exc = 0
    n_chain = 0
    first_neg = -1
    lead_pos = 0.0
    prev_e = -1
    prev_major = True
    last_neg_end = np.nan
    neg_end_before_pos = np.nan
    have_pos = False
    last_pos_dev = 0.0
    rebound = fp[CFP_REBOUND_FRAC]
    chain_k = -1
    chain_e = -1
    pos_max = -np.inf
    tot_end = np.nan
    tot_open = False
    after = False
    i = s_start
    while i < s_stop:
        if after and quiet_until(x, base, i, min(prev_e + gap_n + 1, s_stop), band):
            break  # no phase can start within the gap: the response has ended (saves the tail)
        k, e, sg, i = next_phase(x, base, i, s_start, s_stop, te, band, hold_n)
        if k < 0:
            break
        p = phase_extreme(x, k, e, sg)
        dev = sg * (base - x[p])
        is_major = dev >= major or k == main_k
        gap = k - prev_e
        if after:
            if gap > gap_n:
                break
        elif n_chain > 0 and (gap > gap_n or (not prev_major and gap >= exc_n)):
            n_exc += n_chain
            n_chain = 0
            first_neg = -1
            lead_pos = 0.0
            chain_k = -1
            pos_max = -np.inf
        prev_e = e
        prev_major = is_major
        if chain_k < 0:
            chain_k = k
        chain_e = e
        if sg < 0.0 and x[p] > pos_max:
            pos_max = x[p]
        if not after:
            n_chain += 1
            if sg > 0.0 and first_neg < 0:
                first_neg = k
            if k != main_k:
                if sg < 0.0 and k > s_start and dev > lead_pos:
                    lead_pos = dev
                continue
            after = True
            n_chain = 0
        if not is_major:
            continue
        end_f = phase_end(x, base, p, s_stop, sg, end_band, band, ip[CIP_END_LAG])
        tot_end = end_f
        tot_open = np.isnan(end_f)
        if sg > 0.0:
            if dev >= rebound * last_pos_dev:  # not a small undershoot of the last positive lobe
                last_neg_end = end_f
        else:
            neg_end_before_pos = last_neg_end
            have_pos = True
            last_pos_dev = dev
    neg_end = neg_end_before_pos if have_pos else last_neg_end
    return first_neg, neg_end, tot_end, tot_open, n_exc, lead_pos, chain_k, chain_e, pos_max


@jit_internal
def cmap_peaks(
    x: NDArray[np.float64],
    base: float,
    noise: float,
    pk: int,
    tot_end: float,
    s_stop: int,
    fit_h: int,
    out: NDArray[np.float64],
) -> float:
    """Negative peak (value and time from the parabola over +-fit_h samples around sample ``pk``) and
    peak-to-peak (the maximum from the negative peak to the end of the total duration). The fit may
    move a peak value by what noise explains (5 SD) or 5 % of the amplitude, no more: a spike or step
    that a parabola cannot follow keeps its extreme sample. Returns the fitted negative-peak value."""
    pk_off, pk_val = quad_vertex(x, pk, fit_h, 1.0)
    if abs(pk_val - x[pk]) > max(5.0 * noise, 0.05 * abs(base - x[pk])):
        pk_off = 0.0
        pk_val = x[pk]
    out[C_NEG_PEAK] = pk + pk_off
    out[C_NEG_AMP] = base - pk_val
    stop_pp = s_stop - 1
    if not np.isnan(tot_end):
        stop_pp = min(int(math.ceil(tot_end)), s_stop - 1)
    pp = pk
    for i in range(pk, stop_pp + 1):
        if x[i] > x[pp]:
            pp = i
    pp_val = x[pp]
    if pp > pk:
        pp_fit = quad_vertex(x, pp, fit_h, -1.0)[1]
        if abs(pp_fit - x[pp]) <= max(5.0 * noise, 0.05 * abs(x[pp] - base)):
            pp_val = pp_fit
    out[C_P2P] = pp_val - pk_val
    return pk_val


@jit_internal
def onset_foot(
    x: NDArray[np.float64], base: float, te: float, band: float, s_start: int, s_stop: int
) -> int:
    """Foot of a response whose first phase already deviated at the search start (an offset, a
    drift or an artefact tail kept it outside the band): the knee where it takes off.

    j = the first sample with d = base - x > te (j = s_stop - 1 when none); the foot is the sample of
    (s_start, j) farthest below the chord from (s_start, d[s_start]) to (j, d[j]) (the first one on a
    tie). -1 when no sample lies more than ``band`` below the chord (no knee: the response was
    already under way)."""
    j = s_start
    while j < s_stop - 1 and base - x[j] <= te:
        j += 1
    if j <= s_start + 1:
        return -1
    d0 = base - x[s_start]
    slope = ((base - x[j]) - d0) / (j - s_start)
    f = -1
    best = band
    for i in range(s_start + 1, j):
        below = d0 + slope * (i - s_start) - (base - x[i])
        if below > best:
            best = below
            f = i
    return f


@jit_internal
def cmap_onset(
    x: NDArray[np.float64],
    base: float,
    thr: float,
    band: float,
    onset_i: int,
    ip: NDArray[np.int64],
    fp: NDArray[np.float64],
) -> tuple[float, int]:
    """Onset (fractional index) of the selected detector and its flag bits.

    Threshold: the band crossing where the chain's first negative phase left the baseline. When that
    phase already deviated at the search start, the onset is its foot (``onset_foot``, flag
    F_ONSET_FOOT), or NaN with F_ONSET_AT_START when there is no foot after the search start.
    Tangent: the steepest rise of d = base - x from there to the first local maximum above thr,
    extrapolated to d = 0 (not before the search start; else F_ONSET_NOT_FOUND). Level: the first
    crossing of ``level`` from there, not refined (none: F_ONSET_NOT_FOUND)."""
    s_start = ip[CIP_S_START]
    s_stop = ip[CIP_S_STOP]
    method = ip[CIP_METHOD]
    flags = 0
    if onset_i == s_start:
        onset_i = onset_foot(x, base, max(thr, band), band, s_start, s_stop)
        if onset_i < 0:
            return np.nan, F_ONSET_AT_START
        flags = F_ONSET_FOOT
        onset_f = float(onset_i)
    else:
        onset_f = _crossing(base - x[onset_i - 1], base - x[onset_i], band, onset_i)
    if method == M_TANGENT:
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
            return np.nan, flags | F_ONSET_NOT_FOUND
        onset_f = bi - (base - x[bi]) / best
        if onset_f < s_start:  # extrapolated into the blanking/baseline window: not credible
            return np.nan, flags | F_ONSET_NOT_FOUND
    elif method == M_LEVEL:
        level = fp[CFP_LEVEL]
        prev = base - x[onset_i - 1]
        for i in range(onset_i, s_stop):
            d = base - x[i]
            if d > level:
                return _crossing(prev, d, level, i), flags
            prev = d
        return np.nan, flags | F_ONSET_NOT_FOUND
    return onset_f, flags


@jit
def cmap_sweep(
    x: NDArray[np.float64], ip: NDArray[np.int64], fp: NDArray[np.float64], out: NDArray[np.float64]
) -> int:
    """Measure one CMAP sweep ``x`` (mV). Writes ``out[:N_CMAP_COLS]`` and returns the flag word.

    Steps: levels (baseline, SD, resolution, threshold, band; cmap_levels), pass 1 (main negative
    phase; main_phase), floors relative to the response (end band = max(band,
    end_frac * A), major phases >= phase_frac * A, A = baseline - the main phase's minimum), pass 2
    (the response's phases; response_chain), saturation over the response (saturated), peaks (cmap_peaks), onset (cmap_onset), areas
    (lin_integral). docs/measures.md states every rule.
    """
    for c in range(N_CMAP_COLS):
        out[c] = np.nan
    if not _finite(x, 0, x.shape[0]):
        return F_NONFINITE
    base, noise, thr, band = cmap_levels(x, ip, fp, out)
    te = max(thr, band)
    main_k, pk = main_phase(x, base, ip, te, band)
    out[C_N_EXC] = 0.0
    out[C_LEAD_POS] = 0.0
    if main_k < 0:
        return F_NO_RESPONSE
    flags = 0
    amp = base - x[pk]
    end_band = max(band, fp[CFP_END_FRAC] * amp)
    out[C_END_BAND] = end_band
    major = fp[CFP_PHASE_FRAC] * amp
    onset_i, neg_end, tot_end, tot_open, n_exc, lead_pos, ck, ce, pos_max = response_chain(
        x, base, ip, fp, te, band, end_band, major, main_k
    )
    if saturated(x, ck, ce, x[pk], pos_max, ip[CIP_SAT]):
        flags |= F_SATURATED
    out[C_N_EXC] = float(n_exc)
    out[C_LEAD_POS] = lead_pos
    if tot_open:
        flags |= F_END_NOT_FOUND
    if n_exc > 0:
        flags |= F_EXCURSION
    cmap_peaks(x, base, noise, pk, tot_end, ip[CIP_S_STOP], ip[CIP_FIT], out)
    onset_f, oflags = cmap_onset(x, base, thr, band, onset_i, ip, fp)
    flags |= oflags
    out[C_ONSET] = onset_f
    out[C_NEG_END] = neg_end
    out[C_TOT_END] = tot_end
    if not np.isnan(onset_f):
        if not np.isnan(neg_end):
            out[C_NEG_AREA] = lin_integral(x, base, onset_f, neg_end, SIGNED)
        if not np.isnan(tot_end):
            out[C_TOT_AREA] = lin_integral(x, base, onset_f, tot_end, RECTIFIED)
    if (flags & F_SATURATED) != 0:
        out[C_NEG_AMP] = np.nan
        out[C_P2P] = np.nan
        out[C_NEG_AREA] = np.nan
        out[C_TOT_AREA] = np.nan
    return flags


@jit
def cmap_serial(
    X: NDArray[np.float64],
    ip: NDArray[np.int64],
    fp: NDArray[np.float64],
    out: NDArray[np.float64],
    flags: NDArray[np.int64],
) -> None:
    """Serial loop over the rows of ``X`` (use for few sweeps: no thread start-up)."""
    for r in range(X.shape[0]):
        flags[r] = cmap_sweep(X[r], ip, fp, out[r])


@jit_parallel
def cmap_batch(
    X: NDArray[np.float64],
    ip: NDArray[np.int64],
    fp: NDArray[np.float64],
    out: NDArray[np.float64],
    flags: NDArray[np.int64],
) -> None:
    """Parallel loop over the rows of ``X``; each iteration writes only its own row."""
    for r in prange(X.shape[0]):
        flags[r] = cmap_sweep(X[r], ip, fp, out[r])


# =================================================================================================
# ---- F-waves (wrappers in fwave.py, naive twins at the end of tests/naive.py) ----------
# =================================================================================================
# A train is an (n_sweeps, n_samples) array. ``fw_train`` analyses one train; ``fw_serial`` and
# ``fw_batch`` (parallel over trains) analyse a stack (n_trains, n_sweeps, n_samples). Parameters come
# in two arrays, ``ip`` (int64) and ``fp`` (float64), indexed by the constants below, so that the
# serial, parallel and naive versions share one calling convention.

# ip: int parameters (sample indices and counts)
FIP_CMAP = (
    0  # ip[FIP_CMAP : FIP_CMAP + N_CIP]: the CMAP ints (CIP_*) of the M-wave step (cmap_sweep)
)
FIP_F_STOP = N_CIP + 0  # end of the F window (exclusive)
FIP_GUARD = N_CIP + 1  # guard samples between the M-wave end and the F window (per-sweep baseline)
FIP_QUIET = N_CIP + 2  # samples the mean sweep must stay within the tail band for the M-wave to end
FIP_MIN_WIN = N_CIP + 3  # minimal F-window length, samples
FIP_HOLD = N_CIP + 4  # samples |d| must stay above the onset threshold for a deflection to count
FIP_A_MERGE = N_CIP + 5  # A-wave candidate runs closer than this (samples) are merged
FIP_A_PAD = N_CIP + 6  # samples added on both sides of an A-wave candidate (comparison / exclusion)
FIP_A_MIN_SWEEPS = N_CIP + 7  # fewer sweeps: no A-wave detection ("most sweeps" is not defined)
FIP_R_PAD = N_CIP + 8  # samples added on both sides of a response for the repeater correlation
FIP_A_FIT = N_CIP + 9  # A-waves: half-width of the parabolic peak fit of template and sweep peaks
FIP_ON_GAP = N_CIP + 10  # F onset: significant deflections closer than this (samples): one response
FIP_NOISE_BLK = N_CIP + 11  # per-sweep noise: block length, samples
FIP_SMOOTH = (
    N_CIP + 12
)  # F analysis on sweeps smoothed by a centred moving average of 2h + 1 samples
N_FIP = N_CIP + 13

# fp: float parameters (mV unless stated)
FFP_CMAP = 0  # fp[FFP_CMAP : FFP_CMAP + N_CFP]: the CMAP floats (CFP_*) of the M-wave step
FFP_TAIL_BAND = N_CFP + 0  # M-wave tail band floor, mV
FFP_TAIL_K = N_CFP + 1  # M-wave tail band in SDs of the mean sweep's baseline noise
FFP_THR = N_CFP + 2  # F detection: peak-to-peak threshold floor, mV
FFP_NOISE_K = N_CFP + 3  # F detection: peak-to-peak threshold in train-noise SDs
FFP_ON_K = N_CFP + 4  # F onset threshold in train-noise SDs
FFP_ON_MIN = N_CFP + 5  # F onset threshold floor, mV
FFP_BAND = N_CFP + 6  # baseline band floor for onset refinement, mV
FFP_BAND_K = N_CFP + 7  # baseline band in train-noise SDs
FFP_A_MIN = N_CFP + 8  # A-wave candidate level floor on the mean sweep, mV
FFP_A_K = N_CFP + 9  # A-wave candidate level in SDs of the mean (train noise / sqrt(n_sweeps))
FFP_A_TOL = N_CFP + 10  # A-wave latency tolerance, samples (peak position difference <= this)
FFP_A_CORR = N_CFP + 11  # A-wave minimal correlation with the template (strictly greater)
FFP_A_PCT = N_CFP + 12  # A-wave: minimal % of sweeps that match (>=)
FFP_R_TOL = N_CFP + 13  # repeaters: peak-latency difference < this, samples
FFP_R_AMP = N_CFP + 14  # repeaters: |pp_i - pp_j| < this * max(pp_i, pp_j)
FFP_R_CORR = N_CFP + 15  # repeaters: correlation > this
N_FFP = N_CFP + 16

# per-sweep float output columns
FS_BASE = 0  # guard-window mean, mV
FS_NOISE = 1  # noise SD: lower-quartile block RMS of the smoothed sweep over the F window, mV
FS_PP = 2  # peak-to-peak amplitude over the unmasked F window, mV
FS_MAX_I = 3  # index of the maximum
FS_MIN_I = 4  # index of the minimum
FS_PEAK_I = 5  # index of the largest |x - base| (the F peak used for repeaters)
FS_ONSET = 6  # F onset, fractional sample index (NaN: absent, hidden or not found)
FS_FIRST_SIG = 7  # present sweeps: first sample of the first significant deflection (else NaN)
FS_LAST_SIG = 8  # present sweeps: last sample with |x - base| > onset threshold (else NaN)
FS_GROUP = 9  # repeater group: smallest sweep index of the group, -1 when not a repeater
N_FS_COLS = 10

# per-sweep flags
FF_PRESENT = 1  # peak-to-peak >= detection threshold
FF_ONSET_HIDDEN = 2  # the first significant deflection starts at the window start or after a mask
FF_ONSET_NOT_FOUND = 4  # present, but no deflection above the onset threshold for hold samples
FF_REPEATER = 8  # identical (repeater rule) to at least one other present sweep

# per-train float output
FT_M_ONSET = 0  # M onset, fractional index (cmap_sweep on the mean sweep)
FT_M_NEG_AMP = 1  # M negative-peak amplitude, mV
FT_M_P2P = 2  # M peak-to-peak amplitude, mV
FT_M_NEG_PEAK = 3  # M negative-peak index
FT_M_END = 4  # end of the M-wave and its tail (index): the guard window starts here
FT_F_START = 5  # first index of the F window
FT_F_STOP = 6  # F window stop (exclusive)
FT_NOISE = 7  # train noise: median of the per-sweep noise SDs (FS_NOISE), mV
FT_BASE_MEAN = 8  # baseline of the mean sweep in the guard window, mV
FT_THR_PP = 9  # effective peak-to-peak detection threshold, mV
FT_THR_ON = 10  # effective onset threshold, mV
FT_BAND = 11  # effective baseline band, mV
FT_N_A = 12  # number of A-waves found
FT_A_LEVEL = 13  # A-wave candidate level on the mean sweep, mV
FT_M_BASE = 14  # baseline of the mean sweep for the M-wave (cmap_sweep), mV
FT_M_NOISE = 15  # SD of that baseline, mV
N_FT_COLS = 16

# per-train flags
FTF_NO_M = 1  # no M-wave in the mean sweep (and no M end given)
FTF_TAIL = 2  # the M-wave never returned to baseline
FTF_SHORT = 4  # the F window is shorter than the minimum (sweeps end too early)
FTF_M_SATURATED = 8  # the mean sweep is saturated in the M-wave
FTF_A_OVERFLOW = 16  # more A-waves than output slots (the extra ones are masked but not reported)
FTF_NONFINITE = 32  # the train holds NaN or inf (nothing measured)

# A-wave output columns (a_out has shape (max_a, N_FA_COLS))
FA_ONSET = 0  # onset on the mean sweep, fractional index
FA_LO = 1  # exclusion window start (index)
FA_HI = 2  # exclusion window stop (exclusive)
FA_N_MATCH = 3  # sweeps that matched
FA_PEAK = 4  # template peak index
N_FA_COLS = 5


@jit
def _fw_insertion_sort(a: NDArray[np.float64], n: int) -> None:
    """Sort a[:n] in place (ascending). The arrays are short (blocks of a window, sweeps of a train),
    and a plain loop compiles in a fraction of the time of numba's np.sort."""
    for i in range(1, n):
        v = a[i]
        j = i - 1
        while j >= 0 and a[j] > v:
            a[j + 1] = a[j]
            j -= 1
        a[j + 1] = v


@jit
def fw_noise(
    x: NDArray[np.float64], lo: int, hi: int, blk: int, work: NDArray[np.float64]
) -> float:
    """Noise SD of one (smoothed) sweep over the F window [lo, hi): the lower quartile over blocks of
    the RMS about the window mean.

    xbar = mean of x over [lo, hi). The window is cut into nb = max(1, (hi - lo) // blk) blocks of
    blk samples (the last block takes the remainder); each block's mean square of x - xbar goes to
    ``work``; the result is the square root of the ((nb - 1) // 4)-th smallest. Responses (the
    sweep's F-wave, an A-wave) occupy a minority of blocks and do not reach the lower quartile; white
    noise is in every block, and so are hum and drift (which count at part of their RMS).
    """
    xs = x[lo:hi]
    n_all = hi - lo
    p0 = 0.0
    p1 = 0.0
    for j in range(n_all // 2):
        p0 += xs[2 * j]
        p1 += xs[2 * j + 1]
    if n_all % 2 == 1:
        p0 += xs[n_all - 1]
    xbar = (p0 + p1) / n_all
    nb = n_all // blk if n_all >= blk else 1
    for b in range(nb):
        a = b * blk
        e = a + blk if b < nb - 1 else n_all
        q = 0.0
        for i in range(a, e):
            u = xs[i] - xbar
            q += u * u
        work[b] = q / (e - a)
    _fw_insertion_sort(work, nb)
    return math.sqrt(work[(nb - 1) // 4])


@jit
def fw_quiet_start(
    m: NDArray[np.float64], base: float, start: int, stop: int, band: float, quiet_n: int
) -> int:
    """First i >= start with |m[j] - base| <= band for every j in [i, i + quiet_n) (all < stop); -1."""
    run = 0
    for i in range(start, stop):
        if abs(m[i] - base) <= band:
            run += 1
            if run >= quiet_n:
                return i - quiet_n + 1
        else:
            run = 0
    return -1


@jit
def fw_corr(
    a: NDArray[np.float64], b: NDArray[np.float64], mask: NDArray[np.uint8], lo: int, hi: int
) -> tuple[float, float]:
    """(Pearson r of a[lo:hi] and b[lo:hi], population variance of a) over unmasked samples.

    r is NaN when undefined (fewer than 2 samples, or a window constant to within 1e-12 mV).

    One pass over sums of values shifted by the first sample of the window (limits cancellation).
    """
    n = 0
    a0 = a[lo]
    b0 = b[lo]
    sa = 0.0
    sb = 0.0
    saa = 0.0
    sbb = 0.0
    sab = 0.0
    for i in range(lo, hi):
        if mask[i] == 0:
            da = a[i] - a0
            db = b[i] - b0
            n += 1
            sa += da
            sb += db
            saa += da * da
            sbb += db * db
            sab += da * db
    if n < 2:
        return np.nan, 0.0
    vaa = saa - sa * sa / n
    vbb = sbb - sb * sb / n
    # variances below (1e-12 mV)^2 per sample are rounding of a constant window: undefined
    if vaa <= 1e-24 * n or vbb <= 1e-24 * n:
        return np.nan, 0.0
    return (sab - sa * sb / n) / math.sqrt(vaa * vbb), vaa / n


@jit
def fw_segments(mask: NDArray[np.uint8], fs: int, fe: int, seg: NDArray[np.int64]) -> int:
    """Unmasked runs of [fs, fe) as rows [lo, hi) of ``seg``; returns their number."""
    k = 0
    i = fs
    while i < fe:
        while i < fe and mask[i] != 0:
            i += 1
        if i >= fe:
            break
        j = i
        while j < fe and mask[j] == 0:
            j += 1
        seg[k, 0] = i
        seg[k, 1] = j
        k += 1
        i = j
    return k


@jit
def fw_onset(
    x: NDArray[np.float64],
    seg: NDArray[np.int64],
    n_seg: int,
    base: float,
    thr_pp: float,
    thr_on: float,
    band: float,
    hold_n: int,
    gap_n: int,
    pk: int,
) -> tuple[int, bool]:
    """Start of the sweep's first F response: (index, hidden) or (-1, False) when none is found.

    d = x - base. A streak is a run of samples of one sign with |d| > te = max(thr_on, band); a
    streak of >= hold_n samples that starts at or before the peak ``pk`` makes its deflection
    significant; the deflection spans [r, e], the run of that sign beyond the band around the streak.
    Significant deflections with fewer than gap_n samples between them form one response (a chain).
    The F response is the first chain whose own peak-to-peak (max - min over its deflections) is
    >= thr_pp, else the chain that reaches the peak (its last deflection ends fewer than gap_n
    samples before pk, or after it); its onset is the start of its first deflection, hidden when that
    is the start of an unmasked segment (F-window start or the end of an A-wave window). One forward
    scan over [fs, pk]; quiet samples cost one comparison each.
    """
    first = -1
    hid = False
    ch_end = -1
    cmax = -np.inf
    cmin = np.inf
    te = thr_on if thr_on > band else band
    for k in range(n_seg):
        lo = seg[k, 0]
        hi = seg[k, 1]
        if lo > pk:
            break
        i = lo
        while i < hi:
            while i < hi and abs(x[i] - base) <= te:
                i += 1
            if i >= hi or i > pk:
                break
            sg = 1.0 if x[i] - base > 0.0 else -1.0
            j = i
            while j < hi and sg * (x[j] - base) > te:
                j += 1
            if j - i >= hold_n:
                r = i
                while r > lo and sg * (x[r - 1] - base) > band:
                    r -= 1
                while j < hi and sg * (x[j] - base) > band:
                    j += 1
                if first >= 0 and r - ch_end - 1 >= gap_n:
                    if cmax - cmin >= thr_pp:
                        return first, hid  # an earlier response that is an F-wave on its own
                    first = -1
                if first < 0:
                    first = r
                    hid = r == lo
                    cmax = -np.inf
                    cmin = np.inf
                for q in range(r, j):
                    cmax = x[q] if x[q] > cmax else cmax
                    cmin = x[q] if x[q] < cmin else cmin
                ch_end = j - 1
            i = j if j > i else i + 1
    if first >= 0 and (ch_end >= pk or pk - ch_end - 1 < gap_n or cmax - cmin >= thr_pp):
        return first, hid
    return -1, False


@jit
def fw_sweep(
    x: NDArray[np.float64],
    seg: NDArray[np.int64],
    n_seg: int,
    base: float,
    thr_pp: float,
    thr_on: float,
    band: float,
    hold_n: int,
    gap_n: int,
    out: NDArray[np.float64],
) -> int:
    """F detection on one sweep over the unmasked segments ``seg[:n_seg]`` ([lo, hi) rows).

    d = x - base. Peak-to-peak = max - min over the segments; present when >= thr_pp; the peak p is the
    first sample of largest |d| (the max or the min). For present sweeps only: the last sample with
    |d| > thr_on, and the onset: where the first deflection of the F response (fw_onset) left the band
    (linear interpolation between its first sample and the one before); NaN when that deflection
    begins at a segment start (hidden). Returns the flag word.
    """
    for c in range(N_FS_COLS):
        if c != FS_BASE and c != FS_NOISE:
            out[c] = np.nan
    out[FS_GROUP] = -1.0
    # values first (four independent lanes: no index bookkeeping in the hot loop), then the first
    # index of each extreme (an early-exit scan): the same result as tracking indices, faster
    mx = -np.inf
    mn = np.inf
    for k in range(n_seg):
        lo = seg[k, 0]
        hi = seg[k, 1]
        xs = x[lo:hi]  # a view indexed from 0: numba drops its negative-index check
        nk = hi - lo
        a0 = mn
        a1 = mn
        b0 = mx
        b1 = mx
        for j in range(nk // 2):
            v0 = xs[2 * j]
            v1 = xs[2 * j + 1]
            a0 = v0 if v0 < a0 else a0
            a1 = v1 if v1 < a1 else a1
            b0 = v0 if v0 > b0 else b0
            b1 = v1 if v1 > b1 else b1
        if nk % 2 == 1:
            v0 = xs[nk - 1]
            a0 = v0 if v0 < a0 else a0
            b0 = v0 if v0 > b0 else b0
        mn = a1 if a1 < a0 else a0
        mx = b1 if b1 > b0 else b0
    imx = -1
    imn = -1
    for k in range(n_seg):
        lo = seg[k, 0]
        xs = x[lo : seg[k, 1]]
        for j in range(seg[k, 1] - lo):
            if imx < 0 and xs[j] == mx:
                imx = lo + j
            if imn < 0 and xs[j] == mn:
                imn = lo + j
            if imx >= 0 and imn >= 0:
                break
        if imx >= 0 and imn >= 0:
            break
    if imx < 0:  # every sample masked
        return 0
    pp = mx - mn
    out[FS_PP] = pp
    out[FS_MAX_I] = float(imx)
    out[FS_MIN_I] = float(imn)
    a1 = abs(mx - base)
    a2 = abs(mn - base)
    if a1 > a2:
        out[FS_PEAK_I] = float(imx)
    elif a2 > a1:
        out[FS_PEAK_I] = float(imn)
    else:
        out[FS_PEAK_I] = float(min(imx, imn))
    if not pp >= thr_pp:
        return 0
    flags = FF_PRESENT
    # last sample above the onset threshold (backward scan)
    found = False
    for k in range(n_seg - 1, -1, -1):
        for i in range(seg[k, 1] - 1, seg[k, 0] - 1, -1):
            if abs(x[i] - base) > thr_on:
                out[FS_LAST_SIG] = float(i)
                found = True
                break
        if found:
            break
    pk = int(out[FS_PEAK_I])
    first_sig, hidden = fw_onset(x, seg, n_seg, base, thr_pp, thr_on, band, hold_n, gap_n, pk)
    if first_sig < 0:
        return flags | FF_ONSET_NOT_FOUND
    out[FS_FIRST_SIG] = float(first_sig)
    if hidden:
        return flags | FF_ONSET_HIDDEN
    d_prev = x[first_sig - 1] - base
    d_cur = x[first_sig] - base
    lvl = band if d_cur > 0.0 else -band
    out[FS_ONSET] = _crossing(d_prev, d_cur, lvl, first_sig)
    return flags


@jit
def fw_awaves(
    X: NDArray[np.float64],
    m: NDArray[np.float64],
    base_m: float,
    mask: NDArray[np.uint8],
    fs: int,
    fe: int,
    hi: float,
    lo: float,
    merge_n: int,
    pad_n: int,
    tol: float,
    corr_min: float,
    pct: float,
    noise: float,
    fit_h: int,
    a_out: NDArray[np.float64],
) -> tuple[int, int]:
    """Find A-waves: components of the mean sweep that recur with the same latency and shape.

    Candidates are maximal runs of the mean sweep with |m - base_m| > lo holding a sample above hi;
    runs whose gap is < merge_n samples are merged. A candidate that touches the window start or end is
    rejected (tail or truncated). For the window w = [start - pad_n, stop + pad_n] clipped to [fs, fe),
    a sweep matches when the sub-sample position of its extreme of the template-peak sign lies within
    ``tol`` samples of the template's sub-sample peak (both refined by the least-squares parabola over
    +-fit_h samples, quad_vertex; the raw argmax of a broad peak jitters in noise) and its Pearson correlation with the mean over w, corrected for the
    attenuation by the train noise (r * sqrt(var / (var - noise^2)), no match when var <= noise^2),
    exceeds ``corr_min``. An A-wave is a candidate matched by >= pct % of the sweeps; its window is masked.
    Returns (number of A-waves, overflow flag).
    """
    n_s = X.shape[0]
    n_found = 0
    over = 0
    cand_a = -1
    cand_b = -1
    i = fs
    while i <= fe:
        # next significant run starting at i (or a sentinel at fe to flush the last candidate)
        r0 = -1
        r1 = -1
        while i < fe:
            if abs(m[i] - base_m) > lo:
                j = i
                big = False
                while j < fe and abs(m[j] - base_m) > lo:
                    if abs(m[j] - base_m) > hi:
                        big = True
                    j += 1
                if big:
                    r0 = i
                    r1 = j - 1
                    i = j
                    break
                i = j
            else:
                i += 1
        if r0 >= 0 and cand_a >= 0 and r0 - cand_b - 1 < merge_n:
            cand_b = r1
            continue
        if cand_a >= 0:
            # test the finished candidate [cand_a, cand_b]
            if cand_a > fs and cand_b < fe - 1:
                w0 = cand_a - pad_n
                if w0 < fs:
                    w0 = fs
                w1 = cand_b + 1 + pad_n
                if w1 > fe:
                    w1 = fe
                tp = cand_a
                for k in range(cand_a, cand_b + 1):
                    if abs(m[k] - base_m) > abs(m[tp] - base_m):
                        tp = k
                sg = 1.0 if m[tp] - base_m > 0.0 else -1.0
                tpf = tp + quad_vertex(m, tp, fit_h, -sg)[0]
                n_match = 0
                for s in range(n_s):
                    # stop as soon as the candidate can no longer reach pct % (it is rejected either
                    # way; accepted candidates are always counted over every sweep)
                    if (n_match + n_s - s) * 100.0 < pct * n_s:
                        break
                    ps = w0
                    best = sg * X[s, w0]
                    for k in range(w0 + 1, w1):
                        v = sg * X[s, k]
                        if v > best:
                            best = v
                            ps = k
                    psf = ps + quad_vertex(X[s], ps, fit_h, -sg)[0]
                    if abs(psf - tpf) <= tol:
                        c, var_s = fw_corr(X[s], m, mask, w0, w1)
                        # Spearman's correction for the attenuation by the sweep's noise
                        if var_s > noise * noise:
                            c = c * math.sqrt(var_s / (var_s - noise * noise))
                            if c > corr_min:
                                n_match += 1
                if n_match * 100.0 >= pct * n_s:
                    for k in range(w0, w1):
                        mask[k] = 1
                    if n_found < a_out.shape[0]:
                        d_prev = m[cand_a - 1] - base_m
                        d_cur = m[cand_a] - base_m
                        lvl = lo if d_cur > 0.0 else -lo
                        a_out[n_found, FA_ONSET] = _crossing(d_prev, d_cur, lvl, cand_a)
                        a_out[n_found, FA_LO] = float(w0)
                        a_out[n_found, FA_HI] = float(w1)
                        a_out[n_found, FA_N_MATCH] = float(n_match)
                        a_out[n_found, FA_PEAK] = float(tp)
                        n_found += 1
                    else:
                        over = 1
            cand_a = -1
            cand_b = -1
        if r0 < 0:
            break
        cand_a = r0
        cand_b = r1
    return n_found, over


@jit
def fw_repeaters(
    X: NDArray[np.float64],
    mask: NDArray[np.uint8],
    fs: int,
    fe: int,
    out_s: NDArray[np.float64],
    flags_s: NDArray[np.int64],
    tol: float,
    amp_frac: float,
    corr_min: float,
    pad_n: int,
) -> None:
    """Mark repeaters: present sweeps i < j with |peak_i - peak_j| < tol samples,
    |pp_i - pp_j| < amp_frac * max(pp_i, pp_j) and correlation > corr_min over the union of their
    response windows [first significant sample - pad_n, last significant sample + pad_n] (peak when
    none), clipped to [fs, fe), masked samples skipped. Groups are joined transitively; a group is
    labelled by its smallest sweep index."""
    n_s = X.shape[0]
    grp = np.empty(n_s, dtype=np.int64)
    for i in range(n_s):
        grp[i] = i
    for i in range(n_s):
        if (flags_s[i] & FF_PRESENT) == 0:
            continue
        for j in range(i + 1, n_s):
            if (flags_s[j] & FF_PRESENT) == 0:
                continue
            if not abs(out_s[i, FS_PEAK_I] - out_s[j, FS_PEAK_I]) < tol:
                continue
            ai = out_s[i, FS_PP]
            aj = out_s[j, FS_PP]
            if not abs(ai - aj) < amp_frac * max(ai, aj):
                continue
            lo = fe
            hi = fs
            for r in (i, j):
                a = out_s[r, FS_FIRST_SIG]
                b = out_s[r, FS_LAST_SIG]
                if np.isnan(a):
                    a = out_s[r, FS_PEAK_I]
                if np.isnan(b):
                    b = out_s[r, FS_PEAK_I]
                if int(a) - pad_n < lo:
                    lo = int(a) - pad_n
                if int(b) + 1 + pad_n > hi:
                    hi = int(b) + 1 + pad_n
            if lo < fs:
                lo = fs
            if hi > fe:
                hi = fe
            c, _v = fw_corr(X[i], X[j], mask, lo, hi)
            if c > corr_min:
                gi = grp[i]
                gj = grp[j]
                if gi != gj:
                    g = min(gi, gj)
                    for k in range(n_s):
                        if grp[k] == gi or grp[k] == gj:
                            grp[k] = g
    for i in range(n_s):
        size = 0
        for k in range(n_s):
            if grp[k] == grp[i]:
                size += 1
        if size >= 2 and (flags_s[i] & FF_PRESENT) != 0:
            flags_s[i] |= FF_REPEATER
            out_s[i, FS_GROUP] = float(grp[i])


@jit
def fw_smooth(
    X: NDArray[np.float64],
    lo: int,
    hi: int,
    h: int,
    Y: NDArray[np.float64],
    ym: NDArray[np.float64],
) -> None:
    """Centred moving average of every sweep over [lo, hi): Y[s, i] = mean of X[s, a:b] with
    a = max(i - h, 0), b = min(i + h + 1, n); ym = the mean of the smoothed sweeps over [lo, hi).

    Window sums are differences of two prefix sums accumulated in order from sample max(lo - h, 0)
    (one running sum reaches b, the other trails at a: the same additions as a prefix-sum array), so
    a run of exact zeros stays exactly zero; the mean is that difference times 1 / (b - a) (a
    multiplication, not a division: faster, and the naive twin does the same); h = 0 copies.
    """
    n_s = X.shape[0]
    n = X.shape[1]
    j0 = lo - h if lo > h else 0
    for i in range(lo, hi):
        ym[i] = 0.0
    for s in range(n_s):
        x = X[s]
        y = Y[s]
        if h == 0:
            for i in range(lo, hi):
                y[i] = x[i]
                ym[i] += x[i]
            continue
        # p_b = sum of x[j0:b], p_a = sum of x[j0:a], both accumulated in index order; a window of
        # w samples contributes (p_b - p_a) * (1 / w)
        b = j0
        a = j0
        p_b = 0.0
        p_a = 0.0
        inv = 1.0 / (2 * h + 1)
        mid_lo = h + 1 if h + 1 > lo else lo  # from here a advances by one per sample
        mid_hi = n - h - 1 if n - h - 1 < hi else hi  # up to here b advances by one per sample
        for i in range(lo, hi):
            if mid_lo <= i < mid_hi and b == i + h and a == i - h - 1:
                p_b += x[b]
                b += 1
                p_a += x[a]
                a += 1
                v = (p_b - p_a) * inv
            else:
                bi = i + h + 1 if i + h + 1 < n else n
                ai = i - h if i > h else 0
                while b < bi:
                    p_b += x[b]
                    b += 1
                while a < ai:
                    p_a += x[a]
                    a += 1
                v = (p_b - p_a) * (1.0 / (b - a))
            y[i] = v
            ym[i] += v
    for i in range(lo, hi):
        ym[i] = ym[i] / n_s


@jit
def fw_train(
    X: NDArray[np.float64],
    m: NDArray[np.float64],
    cm: NDArray[np.float64],
    cf: int,
    ip: NDArray[np.int64],
    fp: NDArray[np.float64],
    m_end_given: int,
    out_s: NDArray[np.float64],
    flags_s: NDArray[np.int64],
    out_t: NDArray[np.float64],
    a_out: NDArray[np.float64],
    Y: NDArray[np.float64],
    ym: NDArray[np.float64],
) -> int:
    """Analyse one F-wave train X (n_sweeps, n_samples, mV). Returns the train flag word.

    1. ``m``: the mean sweep (sequential sum over sweeps / n_sweeps), ``cm``/``cf``: the CMAP kernel's
       output row and flags on it (the M-wave; computed by the caller with cmap_serial/cmap_batch, so
       that this kernel does not link, and recompile, the CMAP kernel).
    2. M end = ``m_end_given`` when >= 0, else the first index after the M negative peak from which m
       stays within max(tail_band, tail_k * SD) of the M baseline for ``quiet`` samples.
    3. The sweeps are smoothed (fw_smooth) into Y (workspace), their mean into ym. F window =
       [M end + guard, f_stop). Per-sweep baseline = mean of the smoothed guard window
       [M end + h, M end + guard); per-sweep noise = fw_noise over the F window; train noise = the
       median over the sweeps.
    4. A-waves on ym (fw_awaves) are masked; 5. F per sweep (fw_sweep); 6. repeaters (fw_repeaters).
    """
    n_s = X.shape[0]
    n = X.shape[1]
    for c in range(N_FT_COLS):
        out_t[c] = np.nan
    for s in range(n_s):
        flags_s[s] = 0
        for c in range(N_FS_COLS):
            out_s[s, c] = np.nan
    for k in range(a_out.shape[0]):
        for c in range(N_FA_COLS):
            a_out[k, c] = np.nan
    out_t[FT_N_A] = 0.0
    tflags = 0
    if (cf & F_NONFINITE) != 0:  # a NaN or inf sample makes its column of the mean non-finite
        return FTF_NONFINITE
    out_t[FT_M_ONSET] = cm[C_ONSET]
    out_t[FT_M_NEG_AMP] = cm[C_NEG_AMP]
    out_t[FT_M_P2P] = cm[C_P2P]
    out_t[FT_M_NEG_PEAK] = cm[C_NEG_PEAK]
    out_t[FT_M_BASE] = cm[C_BASE]
    out_t[FT_M_NOISE] = cm[C_NOISE]
    if (cf & F_SATURATED) != 0:
        tflags |= FTF_M_SATURATED
    f_stop = ip[FIP_F_STOP]
    m_end = m_end_given
    if m_end < 0:
        if (cf & F_NO_RESPONSE) != 0:
            return tflags | FTF_NO_M
        band = fp[FFP_TAIL_K] * cm[C_NOISE]
        if band < fp[FFP_TAIL_BAND]:
            band = fp[FFP_TAIL_BAND]
        m_end = fw_quiet_start(m, cm[C_BASE], int(cm[C_NEG_PEAK]), f_stop, band, ip[FIP_QUIET])
        if m_end < 0:
            return tflags | FTF_TAIL
    out_t[FT_M_END] = float(m_end)
    fs = m_end + ip[FIP_GUARD]
    out_t[FT_F_START] = float(fs)
    out_t[FT_F_STOP] = float(f_stop)
    if f_stop - fs < ip[FIP_MIN_WIN]:
        return tflags | FTF_SHORT
    # 3. the F analysis runs on smoothed sweeps Y (and their mean ym) over [ys, ye): the guard and
    # F windows plus the A-wave peak-fit margin
    ys = m_end - ip[FIP_A_FIT] if m_end > ip[FIP_A_FIT] else 0
    ye = f_stop + ip[FIP_A_FIT] if f_stop + ip[FIP_A_FIT] < n else n
    fw_smooth(X, ys, ye, ip[FIP_SMOOTH], Y, ym)
    # per-sweep baseline (guard-window mean) and noise (SD over the F window, excursions excluded)
    sds = np.empty(n_s)
    blk = ip[FIP_NOISE_BLK] if ip[FIP_NOISE_BLK] > 1 else 2
    work = np.empty((f_stop - fs) // blk + 1)
    # the smoothing spreads the M-wave by h samples past its end: the baseline window starts after
    gb = m_end + ip[FIP_SMOOTH] if m_end + ip[FIP_SMOOTH] < fs - 1 else fs - 1
    for s in range(n_s):
        mu, _sd = mean_sd(Y[s], gb, fs)
        sd = fw_noise(Y[s], fs, f_stop, blk, work)
        out_s[s, FS_BASE] = mu
        out_s[s, FS_NOISE] = sd
        sds[s] = sd
    _fw_insertion_sort(sds, n_s)
    srt = sds
    h = n_s // 2
    noise = srt[h] if n_s % 2 == 1 else (srt[h - 1] + srt[h]) * 0.5
    base_m, _sd_m = mean_sd(ym, gb, fs)
    out_t[FT_NOISE] = noise
    out_t[FT_BASE_MEAN] = base_m
    thr_pp = fp[FFP_NOISE_K] * noise
    if thr_pp < fp[FFP_THR]:
        thr_pp = fp[FFP_THR]
    thr_on = fp[FFP_ON_K] * noise
    if thr_on < fp[FFP_ON_MIN]:
        thr_on = fp[FFP_ON_MIN]
    band = fp[FFP_BAND_K] * noise
    if band < fp[FFP_BAND]:
        band = fp[FFP_BAND]
    out_t[FT_THR_PP] = thr_pp
    out_t[FT_THR_ON] = thr_on
    out_t[FT_BAND] = band
    # 4. A-waves
    mask = np.zeros(n, dtype=np.uint8)
    a_hi = fp[FFP_A_K] * noise / math.sqrt(n_s)
    if a_hi < fp[FFP_A_MIN]:
        a_hi = fp[FFP_A_MIN]
    out_t[FT_A_LEVEL] = a_hi
    if n_s >= ip[FIP_A_MIN_SWEEPS]:
        n_a, over = fw_awaves(
            Y,
            ym,
            base_m,
            mask,
            fs,
            f_stop,
            a_hi,
            0.5 * a_hi,
            ip[FIP_A_MERGE],
            ip[FIP_A_PAD],
            fp[FFP_A_TOL],
            fp[FFP_A_CORR],
            fp[FFP_A_PCT],
            noise,
            ip[FIP_A_FIT],
            a_out,
        )
        out_t[FT_N_A] = float(n_a)
        if over:
            tflags |= FTF_A_OVERFLOW
    # 5. F-waves per sweep, over the unmasked segments of the F window
    seg = np.empty(((f_stop - fs) // 2 + 2, 2), dtype=np.int64)
    n_seg = fw_segments(mask, fs, f_stop, seg)
    for s in range(n_s):
        flags_s[s] = fw_sweep(
            Y[s],
            seg,
            n_seg,
            out_s[s, FS_BASE],
            thr_pp,
            thr_on,
            band,
            ip[FIP_HOLD],
            ip[FIP_ON_GAP],
            out_s[s],
        )
    # 6. repeaters
    fw_repeaters(
        Y,
        mask,
        fs,
        f_stop,
        out_s,
        flags_s,
        fp[FFP_R_TOL],
        fp[FFP_R_AMP],
        fp[FFP_R_CORR],
        ip[FIP_R_PAD],
    )
    return tflags


@jit
def fw_serial(
    X3: NDArray[np.float64],
    M: NDArray[np.float64],
    CM: NDArray[np.float64],
    CF: NDArray[np.int64],
    ip: NDArray[np.int64],
    fp: NDArray[np.float64],
    m_end: NDArray[np.int64],
    out_s: NDArray[np.float64],
    flags_s: NDArray[np.int64],
    out_t: NDArray[np.float64],
    a_out: NDArray[np.float64],
    tflags: NDArray[np.int64],
) -> None:
    """Serial loop of fw_train over the trains of X3 (n_trains, n_sweeps, n_samples); M, CM, CF: the
    mean sweeps and their CMAP rows and flags. One smoothed-sweep workspace serves every train."""
    Y = np.empty((X3.shape[1], X3.shape[2]))
    ym = np.empty(X3.shape[2])
    for t in range(X3.shape[0]):
        tflags[t] = fw_train(
            X3[t],
            M[t],
            CM[t],
            CF[t],
            ip,
            fp,
            m_end[t],
            out_s[t],
            flags_s[t],
            out_t[t],
            a_out[t],
            Y,
            ym,
        )


@jit_parallel
def fw_batch(
    X3: NDArray[np.float64],
    M: NDArray[np.float64],
    CM: NDArray[np.float64],
    CF: NDArray[np.int64],
    ip: NDArray[np.int64],
    fp: NDArray[np.float64],
    m_end: NDArray[np.int64],
    out_s: NDArray[np.float64],
    flags_s: NDArray[np.int64],
    out_t: NDArray[np.float64],
    a_out: NDArray[np.float64],
    tflags: NDArray[np.int64],
) -> None:
    """Parallel loop of fw_train over chunks of trains; each chunk has its own workspace and writes
    only its own trains' rows (a fresh 300-kB workspace per train costs page faults)."""
    n_t = X3.shape[0]
    n_chunks = 64 if n_t > 64 else n_t
    for c in prange(n_chunks):
        Y = np.empty((X3.shape[1], X3.shape[2]))
        ym = np.empty(X3.shape[2])
        for t in range(c * n_t // n_chunks, (c + 1) * n_t // n_chunks):
            tflags[t] = fw_train(
                X3[t],
                M[t],
                CM[t],
                CF[t],
                ip,
                fp,
                m_end[t],
                out_s[t],
                flags_s[t],
                out_t[t],
                a_out[t],
                Y,
                ym,
            )
