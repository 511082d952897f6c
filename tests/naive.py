"""Slow, obvious twins of every numba kernel.

Each twin follows the written definition step by step in plain Python/NumPy, without the streaming
tricks of the kernel, so that agreement between the two is evidence that both implement the definition.
"""

from __future__ import annotations

import math

import numpy as np

from ncs_emg import _kernels as K

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
    for lo, hi in zip(knots[:-1], knots[1:], strict=True):
        v0, v1 = val(lo), val(hi)
        if rectify and v0 * v1 < 0:
            z = lo + (hi - lo) * v0 / (v0 - v1)  # zero crossing
            total += 0.5 * (z - lo) * abs(v0) + 0.5 * (hi - z) * abs(v1)
        elif rectify:
            total += 0.5 * (hi - lo) * (abs(v0) + abs(v1))
        else:
            total += 0.5 * (hi - lo) * (v0 + v1)
    return total


def quad_vertex_naive(x, i, h, sign):
    """Vertex of np.polyfit(t, x, 2) over samples i-h..i+h (clipped); (0, x[i]) when h < 1, fewer than
    3 samples, the parabola opens the wrong way (sign +1 wants a minimum) or the vertex leaves the window."""
    lo, hi = max(0, i - h), min(len(x) - 1, i + h)
    if h < 1 or hi - lo < 2:
        return 0.0, x[i]
    t = np.arange(lo, hi + 1) - i
    a, b, c = np.polyfit(t.astype(float), x[lo : hi + 1] - x[i], 2)
    if sign * a <= 0:
        return 0.0, x[i]
    tv = -b / (2 * a)
    if not (lo - i <= tv <= hi - i):
        return 0.0, x[i]
    return tv, x[i] + a * tv * tv + b * tv + c


def _phases(d, s_start, s_stop, band, thr, hold_n):
    """Significant phases of d over [s_start, s_stop), in time order, as dicts.

    A phase is a maximal run of samples of one sign with |d| > band; it is significant when it holds
    hold_n consecutive samples with |d| > max(thr, band). ``first``/``last``: its first and last
    sample; ``end``: first sample after it (s_stop when it runs to the end)."""
    te = max(thr, band)
    sign = np.where(d > band, 1, np.where(d < -band, -1, 0))
    phases = []
    i = s_start
    while i < s_stop:
        s = sign[i]
        j = i
        while j + 1 < s_stop and sign[j + 1] == s:
            j += 1
        if s != 0:
            above = np.abs(d[i : j + 1]) > te
            streak = best = 0
            for a in above:
                streak = streak + 1 if a else 0
                best = max(best, streak)
            if best >= hold_n:
                seg = d[i : j + 1] * s
                p = i + int(np.argmax(seg))
                phases.append(
                    dict(sign=int(s), first=i, last=j, end=j + 1, peak=p, dev=float(seg.max()))
                )
        i = j + 1
    return phases


def _resolution_naive(x, lo, hi, max_frac):
    """Smallest non-zero step q when every sample of x[lo:hi] lies on its grid and q <= max_frac *
    range, else 0."""
    w = x[lo:hi]
    steps = np.abs(np.diff(w))
    steps = steps[steps > 0]
    if not steps.size:
        return 0.0
    q = float(steps.min())
    if not q <= max_frac * (w.max() - w.min()):
        return 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        r = (w - w[0]) / q
        on_grid = np.all(np.abs(r - np.floor(r + 0.5)) <= 1e-6)
    return q if on_grid else 0.0


def _phase_end_naive(d, p, s_stop, sign, end_band, band, lag_n):
    """First crossing of ``end_band`` after the extreme p, or the crossing of ``band`` when the
    signal reaches it within lag_n samples of that; None when open."""
    j = next((j for j in range(p + 1, s_stop) if sign * d[j] <= end_band), None)
    if j is None:
        return None
    for k in range(j, min(j + lag_n + 1, s_stop)):
        if sign * d[k] <= band:
            return _interp_cross(d, k, sign * band)
    return _interp_cross(d, j, sign * end_band)


def _window_phases_naive(tail, rebound):
    """The major phases after the main one that count for the negative-peak window: negative ones
    only when their peak is >= rebound x the last positive lobe's before them."""
    keep, last_pos = [], 0.0
    for p in tail:
        if p["sign"] < 0:
            last_pos = p["dev"]
            keep.append(p)
        elif p["dev"] >= rebound * last_pos:
            keep.append(p)
    return keep


def _chain_naive(ph, main, gap_n, exc_n, major, s_start):
    """Split the phases into excursions (before the response) and the response chain (see
    ``_kernels.response_chain``). Returns (chain phases, n_excursions)."""
    mi = ph.index(main)
    start = 0
    for j in range(mi):
        gap = ph[j + 1]["first"] - ph[j]["end"]
        is_major = ph[j]["dev"] >= major
        if gap > gap_n or (not is_major and gap >= exc_n):
            start = j + 1
    end = mi
    for j in range(mi + 1, len(ph)):
        if ph[j]["first"] - ph[j - 1]["end"] > gap_n:
            break
        end = j
    return ph[start : end + 1], start


def cmap_sweep_naive(x, ip, fp):
    """Return (out, flags) exactly as ``_kernels.cmap_sweep`` defines them (same ip/fp arrays)."""
    x = np.asarray(x, dtype=float)
    bl_start, bl_stop, s_start, s_stop = (
        int(ip[K.CIP_BL_START]),
        int(ip[K.CIP_BL_STOP]),
        int(ip[K.CIP_S_START]),
        int(ip[K.CIP_S_STOP]),
    )
    hold_n, sat_n, fit_h, method = (
        int(ip[K.CIP_HOLD]),
        int(ip[K.CIP_SAT]),
        int(ip[K.CIP_FIT]),
        int(ip[K.CIP_METHOD]),
    )
    out = np.full(K.N_CMAP_COLS, np.nan)
    flags = 0
    if not np.isfinite(x).all():
        return out, K.F_NONFINITE
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
    # the baseline's grid; the search window's (>= 100 steps) when the baseline is constant
    if np.any(np.diff(x[bl_start:bl_stop]) != 0):
        q = _resolution_naive(x, bl_start, bl_stop, 1.0)
    else:
        q = _resolution_naive(x, s_start, s_stop, 0.01)
    thr = max(fp[K.CFP_K_SD] * noise, fp[K.CFP_MIN_THR])
    band = max(fp[K.CFP_BAND_MV], fp[K.CFP_BAND_K] * noise, fp[K.CFP_RES_K] * q)
    out[K.C_BASE], out[K.C_NOISE], out[K.C_RES], out[K.C_THR], out[K.C_BAND] = (
        base,
        noise,
        q,
        thr,
        band,
    )
    d = base - x
    ph = _phases(d, s_start, s_stop, band, thr, hold_n)
    out[K.C_N_EXC] = 0.0
    out[K.C_LEAD_POS] = 0.0
    negs = [p for p in ph if p["sign"] > 0]
    if not negs:
        return out, flags | K.F_NO_RESPONSE
    main = min(negs, key=lambda p: (x[p["peak"]], p["first"]))
    pk = main["peak"]
    amp = base - x[pk]
    end_band = max(band, fp[K.CFP_END_FRAC] * amp)
    major = fp[K.CFP_PHASE_FRAC] * amp
    out[K.C_END_BAND] = end_band
    chain, n_exc = _chain_naive(
        ph, main, int(ip[K.CIP_GAP]), int(ip[K.CIP_EXC_GAP]), major, s_start
    )
    out[K.C_N_EXC] = n_exc
    if n_exc:
        flags |= K.F_EXCURSION
    # saturation: a run of >= sat_n identical samples, over the response, at its most negative
    # sample or at the most positive sample of its positive phases
    region = x[chain[0]["first"] : chain[-1]["end"]]
    extremes = [x[pk]] + (
        [max(x[p["peak"]] for p in chain if p["sign"] < 0)]
        if any(p["sign"] < 0 for p in chain)
        else []
    )
    for ext in extremes:
        run = best = 0
        for v in region:
            run = run + 1 if v == ext else 0
            best = max(best, run)
        if best >= sat_n:
            flags |= K.F_SATURATED
    mi = chain.index(main)
    lead = [p["dev"] for p in chain[:mi] if p["sign"] < 0 and p["first"] > s_start]
    out[K.C_LEAD_POS] = max(lead) if lead else 0.0
    onset_i = next(p["first"] for p in chain if p["sign"] > 0)
    tail = [p for p in chain[mi:] if p is main or p["dev"] >= major]

    def end_of(p):
        e = _phase_end_naive(
            d, p["peak"], s_stop, p["sign"], end_band, band, int(ip[K.CIP_END_LAG])
        )
        return np.nan if e is None else e

    last = tail[-1]
    tot_end = end_of(last)
    if np.isnan(tot_end):
        flags |= K.F_END_NOT_FOUND
    win = _window_phases_naive(tail, fp[K.CFP_REBOUND_FRAC])
    pos = [j for j, p in enumerate(win) if p["sign"] < 0]
    if pos:
        before = [p for p in win[: pos[-1]] if p["sign"] > 0]
        neg_end = end_of(before[-1])
    else:
        neg_end = end_of([p for p in win if p["sign"] > 0][-1])
    off, pk_val = quad_vertex_naive(x, pk, fit_h, +1)
    if abs(pk_val - x[pk]) > max(5 * noise, 0.05 * abs(base - x[pk])):  # fit moved it too far
        off, pk_val = 0.0, x[pk]
    out[K.C_NEG_PEAK] = pk + off
    out[K.C_NEG_AMP] = base - pk_val
    stop_pp = s_stop - 1 if np.isnan(tot_end) else min(int(math.ceil(tot_end)), s_stop - 1)
    pp = pk + int(np.argmax(x[pk : stop_pp + 1]))
    pp_val = x[pp]
    if pp > pk:
        fitted = quad_vertex_naive(x, pp, fit_h, -1)[1]
        if abs(fitted - x[pp]) <= max(5 * noise, 0.05 * abs(x[pp] - base)):
            pp_val = fitted
    out[K.C_P2P] = pp_val - pk_val
    onset_f = np.nan
    if onset_i == s_start:
        # the foot: the knee farthest below the chord from the search start to the first sample above
        # max(thr, band), by more than the band
        above = np.nonzero(d[s_start : s_stop - 1] > max(thr, band))[0]
        j = s_start + int(above[0]) if above.size else s_stop - 1
        foot = s_start
        if j > s_start + 1:
            i = np.arange(s_start + 1, j)
            below = d[s_start] + (d[j] - d[s_start]) / (j - s_start) * (i - s_start) - d[i]
            if below.max() > band:
                foot = int(i[np.argmax(below)])
        if foot > s_start:
            onset_i, onset_f = foot, float(foot)
            flags |= K.F_ONSET_FOOT
        else:
            flags |= K.F_ONSET_AT_START
    else:
        onset_f = _interp_cross(d, onset_i, band)
    if not np.isnan(onset_f) and method == K.M_TANGENT:
        # first local maximum of d above thr after onset, then steepest rise before it
        i = onset_i
        while i + 1 < s_stop and not (d[i + 1] < d[i] and d[i] > thr):
            i += 1
        rises = np.diff(d[onset_i : i + 1])
        if len(rises) == 0 or rises.max() <= 0:
            onset_f = np.nan
            flags |= K.F_ONSET_NOT_FOUND
        else:
            bi = onset_i + int(np.argmax(rises))
            onset_f = bi - d[bi] / rises.max()
            if onset_f < s_start:  # tangent meets the baseline before the search window
                onset_f = np.nan
                flags |= K.F_ONSET_NOT_FOUND
    elif not np.isnan(onset_f) and method == K.M_LEVEL:
        level = fp[K.CFP_LEVEL]
        idx = np.nonzero(d[onset_i:s_stop] > level)[0]
        if len(idx) == 0:
            onset_f = np.nan
            flags |= K.F_ONSET_NOT_FOUND
        else:
            onset_f = _interp_cross(d, onset_i + int(idx[0]), level)
    out[K.C_ONSET] = onset_f
    out[K.C_NEG_END], out[K.C_TOT_END] = neg_end, tot_end
    if not np.isnan(onset_f):
        if not np.isnan(neg_end):
            out[K.C_NEG_AREA] = _integral(x, base, onset_f, neg_end, False)
        if not np.isnan(tot_end):
            out[K.C_TOT_AREA] = _integral(x, base, onset_f, tot_end, True)
    if flags & K.F_SATURATED:
        out[[K.C_NEG_AMP, K.C_P2P, K.C_NEG_AREA, K.C_TOT_AREA]] = np.nan
    return out, flags


# =================================================================================================
# ---- F-waves (twins of the _kernels "F-waves" section) --------------------------------
# =================================================================================================
# Same calling convention as the kernels (ip/fp parameter arrays indexed by the K.FIP_*/K.FFP_*
# constants); every step is written from its definition with lists and whole-array NumPy operations.


def _fw_mean_sd_naive(v):
    """Shifted mean and population SD (sequential sums, as the kernels define them)."""
    v = [float(a) for a in v]
    acc = 0.0
    for a in v:
        acc += a - v[0]
    mu = v[0] + acc / len(v)
    ss = 0.0
    for a in v:
        ss += (a - mu) ** 2
    return mu, math.sqrt(ss / len(v))


def _fw_corr_naive(a, b, keep):
    """Pearson correlation of a[keep], b[keep]; NaN with fewer than 2 samples or a variance at most
    (1e-12 mV)^2 (a constant window up to rounding)."""
    a = np.asarray(a, float)[keep]
    b = np.asarray(b, float)[keep]
    if len(a) < 2:
        return float("nan")
    da = a - sum(a.tolist()) / len(a)
    db = b - sum(b.tolist()) / len(b)
    saa, sbb = float(np.dot(da, da)), float(np.dot(db, db))
    if saa <= 1e-24 * len(a) or sbb <= 1e-24 * len(a):
        return float("nan")
    return float(np.dot(da, db)) / math.sqrt(saa * sbb)


def _segments(idx):
    """Split a sorted index list into runs of consecutive integers."""
    out, cur = [], []
    for i in idx:
        if cur and i != cur[-1] + 1:
            out.append(cur)
            cur = []
        cur.append(i)
    if cur:
        out.append(cur)
    return out


def fw_noise_naive(x, lo, hi, blk):
    """Twin of _kernels.fw_noise: sqrt of the lower quartile ((nb - 1) // 4-th smallest) over blocks
    of blk samples (the last block takes the remainder) of the mean square about the window mean."""
    r = np.asarray(x, float)[lo:hi]
    n_all = hi - lo
    rbar = (r[0::2].sum() + r[1::2].sum()) / n_all  # the kernel's two-lane order
    nb = max(1, n_all // blk)
    edges = [b * blk for b in range(nb)] + [n_all]
    ms = [
        float(np.sum((r[a:e] - rbar) ** 2)) / (e - a)
        for a, e in zip(edges[:-1], edges[1:], strict=True)
    ]
    return math.sqrt(sorted(ms)[(nb - 1) // 4])


def fw_sweep_naive(x, mask, fs, fe, base, thr_pp, thr_on, band, hold_n, gap_n):
    """Return (out[10] without the guard columns, flags) as _kernels.fw_sweep defines them."""
    from ncs_emg import _kernels as K

    x = np.asarray(x, float)
    out = np.full(K.N_FS_COLS, np.nan)
    out[K.FS_GROUP] = -1.0
    idx = [i for i in range(fs, fe) if mask[i] == 0]
    if not idx:
        return out, 0
    v = x[idx]
    d = v - base
    out[K.FS_PP] = v.max() - v.min()
    out[K.FS_MAX_I] = idx[int(np.argmax(v))]
    out[K.FS_MIN_I] = idx[int(np.argmin(v))]
    pk = idx[int(np.argmax(np.abs(d)))]
    out[K.FS_PEAK_I] = pk
    # deflections: within each unmasked segment, maximal runs of one nonzero sign of d beyond the
    # band; significant with hold_n samples beyond thr_on in a streak that starts at or before the
    # peak. Chains: consecutive significant deflections with fewer than gap_n samples between them.
    # The F response: the first chain with its own max - min >= thr_pp, else the last chain when it
    # reaches the peak.
    sig = []  # (start, end, starts at its segment's start)
    for seg in _segments(idx):
        if seg[0] > pk:
            break
        sgn = [1 if x[i] - base > band else (-1 if x[i] - base < -band else 0) for i in seg]
        k = 0
        while k < len(seg):
            j = k
            while j + 1 < len(seg) and sgn[j + 1] == sgn[k]:
                j += 1
            if sgn[k] != 0:
                streak = 0
                for q in range(k, j + 1):
                    above = abs(x[seg[q]] - base) > thr_on
                    if above and streak == 0 and seg[q] > pk:
                        break  # streaks must start at or before the peak
                    streak = streak + 1 if above else 0
                    if streak >= hold_n:
                        sig.append((seg[k], seg[j], k == 0))
                        break
            k = j + 1
    chains = []  # [[deflections], max, min]
    for d in sig:
        if chains and d[0] - chains[-1][0][-1][1] - 1 < gap_n:
            chains[-1][0].append(d)
        else:
            chains.append([[d]])
    first = None
    for c in chains:
        vals = np.concatenate([x[d[0] : d[1] + 1] for d in c[0]])
        last_end = c[0][-1][1]
        reaches_peak = last_end >= pk or pk - last_end - 1 < gap_n
        if vals.max() - vals.min() >= thr_pp or (c is chains[-1] and reaches_peak):
            first = (c[0][0][0], c[0][0][2])
            break
    if not out[K.FS_PP] >= thr_pp:
        return out, 0
    # present sweeps only: last sample beyond the onset threshold, first significant deflection
    above = [i for i in idx if abs(x[i] - base) > thr_on]
    if above:
        out[K.FS_LAST_SIG] = above[-1]
    if first is not None:
        out[K.FS_FIRST_SIG] = first[0]
    flags = K.FF_PRESENT
    if first is None:
        return out, flags | K.FF_ONSET_NOT_FOUND
    if first[1]:
        return out, flags | K.FF_ONSET_HIDDEN
    i = first[0]
    dd = x - base
    lvl = band if dd[i] > 0 else -band
    out[K.FS_ONSET] = _interp_cross(dd, i, lvl)
    return out, flags


def fw_awaves_naive(
    X, m, base_m, mask, fs, fe, hi, lo, merge_n, pad_n, tol, corr_min, pct, noise, fit_h, max_a
):
    """Twin of _kernels.fw_awaves: returns (list of A rows, overflow); updates ``mask`` in place."""
    X = np.asarray(X, float)
    dm = np.asarray(m, float) - base_m
    runs = [
        r
        for r in _segments([i for i in range(fs, fe) if abs(dm[i]) > lo])
        if max(abs(dm[i]) for i in r) > hi
    ]
    cands = []
    for r in runs:
        if cands and r[0] - cands[-1][1] - 1 < merge_n:
            cands[-1][1] = r[-1]
        else:
            cands.append([r[0], r[-1]])
    found, over = [], 0
    for a, b in cands:
        if a == fs or b == fe - 1:
            continue
        w0, w1 = max(fs, a - pad_n), min(fe, b + 1 + pad_n)
        tp = a + int(np.argmax(np.abs(dm[a : b + 1])))
        sg = 1.0 if dm[tp] > 0 else -1.0
        # sub-sample peaks: least-squares parabola (a maximum for sg > 0, a minimum for sg < 0)
        tpf = tp + quad_vertex_naive(np.asarray(m, float), tp, fit_h, -sg)[0]
        keep = np.zeros(len(m), bool)
        keep[w0:w1] = True
        keep &= np.asarray(mask) == 0
        n_match = 0
        for s in range(X.shape[0]):
            ps = w0 + int(np.argmax(sg * X[s, w0:w1]))
            psf = ps + quad_vertex_naive(X[s], ps, fit_h, -sg)[0]
            if abs(psf - tpf) > tol:
                continue
            var_s = float(np.var(X[s][keep]))  # correction for attenuation by the noise
            r = _fw_corr_naive(X[s], m, keep)
            if var_s > noise**2 and r * math.sqrt(var_s / (var_s - noise**2)) > corr_min:
                n_match += 1
        if n_match * 100.0 >= pct * X.shape[0]:
            mask[w0:w1] = 1
            if len(found) < max_a:
                lvl = lo if dm[a] > 0 else -lo
                found.append([_interp_cross(dm, a, lvl), w0, w1, n_match, tp])
            else:
                over = 1
    return found, over


def fw_repeaters_naive(X, mask, fs, fe, out_s, flags_s, tol, amp_frac, corr_min, pad_n):
    """Twin of _kernels.fw_repeaters (connected components of the 'identical' relation)."""
    from ncs_emg import _kernels as K

    n_s = len(X)
    present = [i for i in range(n_s) if flags_s[i] & K.FF_PRESENT]
    edges = {i: set() for i in range(n_s)}
    for i in present:
        for j in present:
            if j <= i:
                continue
            if not abs(out_s[i, K.FS_PEAK_I] - out_s[j, K.FS_PEAK_I]) < tol:
                continue
            ai, aj = out_s[i, K.FS_PP], out_s[j, K.FS_PP]
            if not abs(ai - aj) < amp_frac * max(ai, aj):
                continue
            starts, stops = [], []
            for r in (i, j):
                a, b = out_s[r, K.FS_FIRST_SIG], out_s[r, K.FS_LAST_SIG]
                a = out_s[r, K.FS_PEAK_I] if np.isnan(a) else a
                b = out_s[r, K.FS_PEAK_I] if np.isnan(b) else b
                starts.append(int(a) - pad_n)
                stops.append(int(b) + 1 + pad_n)
            lo, hi = max(fs, min(starts)), min(fe, max(stops))
            keep = np.zeros(X.shape[1], bool)
            keep[lo:hi] = True
            keep &= np.asarray(mask) == 0
            if _fw_corr_naive(X[i], X[j], keep) > corr_min:
                edges[i].add(j)
                edges[j].add(i)
    for i in range(n_s):
        comp, todo = {i}, [i]
        while todo:
            for k in edges[todo.pop()]:
                if k not in comp:
                    comp.add(k)
                    todo.append(k)
        if len(comp) >= 2 and flags_s[i] & K.FF_PRESENT:
            flags_s[i] |= K.FF_REPEATER
            out_s[i, K.FS_GROUP] = min(comp)


def fw_smooth_naive(X, lo, hi, h):
    """Twin of _kernels.fw_smooth: (smoothed sweeps, their mean), defined over [lo, hi) only.

    Centred moving average of 2h + 1 samples clipped to the sweep; window sums as differences of a
    cumulative sum started at max(lo - h, 0) (so that runs of exact zeros stay exact zeros), times
    1 / (window length).
    """
    X = np.asarray(X, float)
    n_s, n = X.shape
    Y = X.copy()
    if h > 0:
        j0, j1 = max(lo - h, 0), min(hi + h + 1, n)
        for s in range(n_s):
            c = np.concatenate([[0.0], np.cumsum(X[s, j0:j1])])
            for i in range(lo, hi):
                a, b = max(i - h, 0), min(i + h + 1, n)
                Y[s, i] = (c[b - j0] - c[a - j0]) * (1.0 / (b - a))
    ym = np.zeros(n)
    for s in range(n_s):
        ym[lo:hi] = ym[lo:hi] + Y[s, lo:hi]
    ym[lo:hi] = ym[lo:hi] / n_s
    return Y, ym


def fw_train_naive(X, ip, fp, m_end_given, max_a):
    """Twin of _kernels.fw_train: returns (out_s, flags_s, out_t, a_out, train flags)."""
    from ncs_emg import _kernels as K

    X = np.asarray(X, float)
    n_s, n = X.shape
    out_s = np.full((n_s, K.N_FS_COLS), np.nan)
    flags_s = np.zeros(n_s, np.int64)
    out_t = np.full(K.N_FT_COLS, np.nan)
    a_out = np.full((max_a, K.N_FA_COLS), np.nan)
    out_t[K.FT_N_A] = 0.0
    tflags = 0
    m = np.zeros(n)
    for s in range(n_s):
        m = m + X[s]
    m = m / n_s
    if not np.isfinite(m).all():
        return out_s, flags_s, out_t, a_out, K.FTF_NONFINITE
    cm, cf = cmap_sweep_naive(
        m, ip[K.FIP_CMAP : K.FIP_CMAP + K.N_CIP], fp[K.FFP_CMAP : K.FFP_CMAP + K.N_CFP]
    )
    out_t[K.FT_M_ONSET] = cm[K.C_ONSET]
    out_t[K.FT_M_NEG_AMP] = cm[K.C_NEG_AMP]
    out_t[K.FT_M_P2P] = cm[K.C_P2P]
    out_t[K.FT_M_NEG_PEAK] = cm[K.C_NEG_PEAK]
    out_t[K.FT_M_BASE] = cm[K.C_BASE]
    out_t[K.FT_M_NOISE] = cm[K.C_NOISE]
    if cf & K.F_SATURATED:
        tflags |= K.FTF_M_SATURATED
    f_stop = int(ip[K.FIP_F_STOP])
    m_end = int(m_end_given)
    if m_end < 0:
        if cf & K.F_NO_RESPONSE:
            return out_s, flags_s, out_t, a_out, tflags | K.FTF_NO_M
        band = max(fp[K.FFP_TAIL_K] * cm[K.C_NOISE], fp[K.FFP_TAIL_BAND])
        quiet = int(ip[K.FIP_QUIET])
        inside = np.abs(m - cm[K.C_BASE]) <= band
        m_end = -1
        for i in range(int(cm[K.C_NEG_PEAK]), f_stop - quiet + 1):
            if inside[i : i + quiet].all():
                m_end = i
                break
        if m_end < 0:
            return out_s, flags_s, out_t, a_out, tflags | K.FTF_TAIL
    out_t[K.FT_M_END] = m_end
    fs = m_end + int(ip[K.FIP_GUARD])
    out_t[K.FT_F_START] = fs
    out_t[K.FT_F_STOP] = f_stop
    if f_stop - fs < ip[K.FIP_MIN_WIN]:
        return out_s, flags_s, out_t, a_out, tflags | K.FTF_SHORT
    # the F analysis runs on the smoothed sweeps and their mean
    fit = int(ip[K.FIP_A_FIT])
    X, m = fw_smooth_naive(X, max(m_end - fit, 0), min(f_stop + fit, n), int(ip[K.FIP_SMOOTH]))
    gb = min(m_end + int(ip[K.FIP_SMOOTH]), fs - 1)  # baseline window after the smoothed M end
    for s in range(n_s):
        out_s[s, K.FS_BASE] = _fw_mean_sd_naive(X[s, gb:fs])[0]
        out_s[s, K.FS_NOISE] = fw_noise_naive(X[s], fs, f_stop, max(int(ip[K.FIP_NOISE_BLK]), 2))
    noise = float(np.median(out_s[:, K.FS_NOISE]))
    base_m = _fw_mean_sd_naive(m[gb:fs])[0]
    out_t[K.FT_NOISE] = noise
    out_t[K.FT_BASE_MEAN] = base_m
    thr_pp = max(fp[K.FFP_NOISE_K] * noise, fp[K.FFP_THR])
    thr_on = max(fp[K.FFP_ON_K] * noise, fp[K.FFP_ON_MIN])
    band = max(fp[K.FFP_BAND_K] * noise, fp[K.FFP_BAND])
    out_t[K.FT_THR_PP], out_t[K.FT_THR_ON], out_t[K.FT_BAND] = thr_pp, thr_on, band
    mask = np.zeros(n, np.uint8)
    a_hi = max(fp[K.FFP_A_K] * noise / math.sqrt(n_s), fp[K.FFP_A_MIN])
    out_t[K.FT_A_LEVEL] = a_hi
    if n_s >= ip[K.FIP_A_MIN_SWEEPS]:
        found, over = fw_awaves_naive(
            X,
            m,
            base_m,
            mask,
            fs,
            f_stop,
            a_hi,
            0.5 * a_hi,
            ip[K.FIP_A_MERGE],
            ip[K.FIP_A_PAD],
            fp[K.FFP_A_TOL],
            fp[K.FFP_A_CORR],
            fp[K.FFP_A_PCT],
            noise,
            ip[K.FIP_A_FIT],
            max_a,
        )
        for k, row in enumerate(found):
            a_out[k] = row
        out_t[K.FT_N_A] = len(found)
        if over:
            tflags |= K.FTF_A_OVERFLOW
    for s in range(n_s):
        row, fl = fw_sweep_naive(
            X[s],
            mask,
            fs,
            f_stop,
            out_s[s, K.FS_BASE],
            thr_pp,
            thr_on,
            band,
            ip[K.FIP_HOLD],
            ip[K.FIP_ON_GAP],
        )
        row[K.FS_BASE], row[K.FS_NOISE] = out_s[s, K.FS_BASE], out_s[s, K.FS_NOISE]
        out_s[s], flags_s[s] = row, fl
    fw_repeaters_naive(
        X,
        mask,
        fs,
        f_stop,
        out_s,
        flags_s,
        fp[K.FFP_R_TOL],
        fp[K.FFP_R_AMP],
        fp[K.FFP_R_CORR],
        ip[K.FIP_R_PAD],
    )
    return out_s, flags_s, out_t, a_out, tflags
