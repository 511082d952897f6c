"""Slow, obvious twins of every numba kernel.

Each twin follows the written definition step by step in plain Python/NumPy, without the streaming
tricks of the kernel, so that agreement between the two is evidence that both implement the definition.
"""

from __future__ import annotations

import math

import numpy as np

# ---- CMAP (twin of _kernels.cmap_sweep) ---------------------------------------------------------


def _interp_cross(d, i, level):
    """Fractional index between i-1 and i where the linear interpolant of d meets level (clipped)."""
    a, b = d[i - 1], d[i]
    if b == a:
        return float(i)
    return i - 1 + min(1.0, max(0.0, (level - a) / (b - a)))


def _integral(x, base, a, b, rectify):
    """Integrate the piecewise-linear interpolant of (base - x) between fractional indices a < b,
    by splitting every segment at zero crossings and summing trapezoids (rectified: |.|)."""
    if not b > a:
        return 0.0
    d = base - np.asarray(x, dtype=float)
    n = len(d)

    def val(t):
        k = min(int(math.floor(t)), n - 2)
        return d[k] + (d[k + 1] - d[k]) * (t - k)

    knots = [a] + [float(k) for k in range(int(math.floor(a)) + 1, int(math.ceil(b)))] + [b]
    knots = [t for t in knots if a <= t <= b and t <= n - 1]
    total = 0.0
    for lo, hi in zip(knots[:-1], knots[1:]):
        v0, v1 = val(lo), val(hi)
        if rectify and v0 * v1 < 0:
            z = lo + (hi - lo) * v0 / (v0 - v1)  # zero crossing
            total += 0.5 * (z - lo) * abs(v0) + 0.5 * (hi - z) * abs(v1)
        elif rectify:
            total += 0.5 * (hi - lo) * (abs(v0) + abs(v1))
        else:
            total += 0.5 * (hi - lo) * (v0 + v1)
    return total


def _phases(d, s_start, s_stop, band, thr, hold_n):
    """List of phases (sign, start_f, end_f or None, first_index, significant, sig_index)."""
    sign = np.where(d > band, 1, np.where(d < -band, -1, 0))
    phases = []
    i = s_start
    while i < s_stop:
        s = sign[i]
        j = i
        while j + 1 < s_stop and sign[j + 1] == s:
            j += 1
        if s != 0:
            lvl = band if s > 0 else -band
            start_f = float(i) if i == s_start else _interp_cross(d, i, lvl)
            end_f = _interp_cross(d, j + 1, lvl) if j + 1 < s_stop else None
            above = np.abs(d[i : j + 1]) > thr
            # first index at which `hold_n` consecutive samples above thr have been seen
            sig_index, streak = None, 0
            for k, a in enumerate(above):
                streak = streak + 1 if a else 0
                if streak >= hold_n:
                    sig_index = i + k
                    break
            phases.append(
                dict(
                    sign=int(s),
                    start_f=start_f,
                    end_f=end_f,
                    first=i,
                    last=j,
                    significant=sig_index is not None,
                )
            )
        i = j + 1
    return phases


def cmap_sweep_naive(
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
):
    """Return (out[10], flags) exactly as ``_kernels.cmap_sweep`` defines them."""
    x = np.asarray(x, dtype=float)
    out = np.full(10, np.nan)
    flags = 0
    if not np.isfinite(x).all():
        return out, 32
    bl = x[bl_start:bl_stop]
    # sequential sums (not numpy's pairwise ones) so that noise-free tails round identically
    acc = 0.0
    for v in bl:
        acc += v - bl[0]
    base = bl[0] + acc / len(bl)  # shifted mean, exact for a constant baseline
    ss = 0.0
    for v in bl:
        ss += (v - base) ** 2
    noise = math.sqrt(ss / len(bl))
    out[8], out[9] = base, noise
    thr = max(k_sd * noise, min_thr)
    band = max(band_mv, band_k * noise)
    w = x[s_start:s_stop]
    # saturation: longest run of equal samples at the window's min or max
    if w.max() > w.min():
        for ext in (w.min(), w.max()):
            run = best = 0
            for v in w:
                run = run + 1 if v == ext else 0
                best = max(best, run)
            if best >= sat_n:
                flags |= 2
    d = base - x
    ph = _phases(d, s_start, s_stop, band, thr, hold_n)
    sig_neg = [p for p in ph if p["significant"] and p["sign"] > 0]
    if not sig_neg:
        return out, flags | 1
    first = sig_neg[0]
    onset_f = first["start_f"]
    onset_i = first["first"]
    if onset_i == s_start:
        flags |= 8
    resp = [p for p in ph if p["significant"] and p["first"] >= onset_i]
    last = resp[-1]
    end_open = last["end_f"] is None
    if end_open:
        flags |= 4
    tot_end = np.nan if end_open else last["end_f"]
    pos = [p for p in resp if p["sign"] < 0]
    if pos:
        final_pos = pos[-1]
        before = [p for p in resp if p["sign"] > 0 and p["last"] < final_pos["first"]]
        neg_end = before[-1]["end_f"]
    else:
        negs = [p for p in resp if p["sign"] > 0]
        neg_end = negs[-1]["end_f"]
    neg_end = np.nan if neg_end is None else neg_end
    stop_pk = s_stop - 1 if np.isnan(neg_end) else min(int(math.floor(neg_end)), s_stop - 1)
    pk = onset_i + int(np.argmin(x[onset_i : stop_pk + 1]))
    out[1] = pk
    out[2] = base - x[pk]
    stop_pp = s_stop - 1 if np.isnan(tot_end) else min(int(math.ceil(tot_end)), s_stop - 1)
    out[3] = max(x[pk : stop_pp + 1]) - x[pk]
    if method == 1:
        # first local maximum of d above thr after onset, then steepest rise before it
        i = onset_i
        while i + 1 < s_stop and not (d[i + 1] < d[i] and d[i] > thr):
            i += 1
        rises = np.diff(d[onset_i : i + 1])
        if len(rises) == 0 or rises.max() <= 0:
            onset_f = np.nan
            flags |= 16
        else:
            bi = onset_i + int(np.argmax(rises))
            onset_f = bi - d[bi] / rises.max()
    elif method == 2:
        idx = np.nonzero(d[onset_i:s_stop] > level)[0]
        if len(idx) == 0:
            onset_f = np.nan
            flags |= 16
        else:
            i = onset_i + int(idx[0])
            onset_f = _interp_cross(d, i, level) if i > 0 else float(i)
    out[0] = onset_f
    if flags & 8:
        out[0] = onset_f = np.nan
    out[6], out[7] = neg_end, tot_end
    if not np.isnan(onset_f):
        if not np.isnan(neg_end):
            out[4] = _integral(x, base, onset_f, neg_end, False)
        if not np.isnan(tot_end):
            out[5] = _integral(x, base, onset_f, tot_end, True)
    if flags & 2:
        out[[2, 3, 4, 5]] = np.nan
    return out, flags
