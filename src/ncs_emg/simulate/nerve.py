"""Simulated motor nerve conduction studies with ground truth (``docs/simulation.md``)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from ..errors import ParameterError
from ..types import Nerve, Site, Study, Sweeps
from . import _core as C
from ._presets import PRESETS, NervePreset
from .conditions import RecordingConditions, resolve_conditions, snr_db_of
from .fwave import AWaveSpec, FWaveTruth, TrainUnits, default_fwave_sweep, draw_unit_p, fwave_train
from .truth import TRUTH_BAND_MV, truth_measures

__all__ = [
    "TRUTH_BAND_MV",
    "SiteTruth",
    "SegmentTruth",
    "NerveTruth",
    "SimulatedNerve",
    "simulate_nerve",
]

#: Level (mV) that defines ``SiteTruth.detectable_onset_ms``: the first time the noise-free waveform
#: deviates from baseline by at least this much.
DETECTABLE_LEVEL_MV = 0.001


@dataclass(frozen=True, eq=False)
class SiteTruth:
    """Ground truth at one stimulation site.

    Attributes
    ----------
    name : str
        Site name.
    distance_mm : float, mm
        Site distance as stored in :class:`~ncs_emg.types.Site` (first: to the recording electrode).
    path_mm : float, mm
        Nerve length from this site to the recording electrode (cumulative distance).
    segment : str
        Segment label.
    true_onset_ms : float, ms
        First motor-unit arrival at the muscle (the start of the earliest MUAP) after stimulation here:
        ``min_i (terminal_delay_i + sum_segments length / CV_i,segment)`` over the conducting units.
        NaN when every unit is blocked.
    detectable_onset_ms : float, ms
        First time the noise-free waveform deviates from baseline by >= :data:`DETECTABLE_LEVEL_MV`
        (1 µV), located to 1 µs on a fine time grid (independent of ``sfreq_hz``). The earliest
        onset any detector could see on a 1 µV-resolution recording; it follows ``true_onset_ms`` by the
        time the first unit's MUAP needs to reach 1 µV (tens of µs). NaN when the waveform never
        reaches 1 µV inside the sweep.
    first_unit : int
        Index of the unit that arrives first (-1 when none).
    n_conducting : int
        Units that reach the muscle from this site.
    conducting_size_fraction : float
        Sum of the conducting units' sizes / sum of all sizes.
    measures : dict
        Truth of the CMAP measures computed from the generative model (the MUAP sum on a 10 µs grid,
        plain NumPy, ``ncs_emg.simulate.truth``; never the measurement code it judges): onset
        (``detectable_onset_ms``), negative-peak latency and amplitude, peak-to-peak, negative and
        total areas and durations (keys as in :meth:`~ncs_emg.CmapMeasures.sweep`).
    band_mv : float, mV
        The at-baseline band of the truth definitions: :data:`TRUTH_BAND_MV` (1 µV, fixed).
    noise_free : ndarray, mV, shape (n_samples,)
        The waveform without noise, hum, drift, artefact or clipping (read-only).
    """

    name: str
    distance_mm: float
    path_mm: float
    segment: str
    true_onset_ms: float
    detectable_onset_ms: float
    first_unit: int
    n_conducting: int
    conducting_size_fraction: float
    band_mv: float
    noise_free: np.ndarray
    units: tuple = field(
        default=(), repr=False
    )  # (arrival, size, neg, pos, sweep end) of the truth

    @cached_property
    def measures(self) -> dict:
        """Truth of the CMAP measures from the generative model, computed on first access (the 10 µs
        grid costs a few ms per site, which a simulation that never reads it should not pay)."""
        if not self.units:
            return {}
        arrival, size, neg, pos, sweep_end = self.units
        return truth_measures(
            arrival, size, neg, pos, onset_ms=self.detectable_onset_ms, sweep_end_ms=sweep_end
        )

    def to_dict(self, *, include_waveforms: bool = False) -> dict[str, Any]:
        """JSON-ready dict (NaN → None)."""
        d = {k: getattr(self, k) for k in self.__dataclass_fields__ if k not in _NOT_IN_DICT}
        d["measures"] = self.measures
        if include_waveforms:
            d["noise_free"] = self.noise_free
        return C.json_value(d)


_NOT_IN_DICT = ("noise_free", "units")


@dataclass(frozen=True)
class SegmentTruth:
    """Ground truth of one segment (index 0: distal site to the muscle).

    Attributes
    ----------
    label : str
        Segment label.
    proximal_site, distal_site : str
        Sites bounding it (``distal_site`` is ``"muscle"`` for segment 0).
    length_mm : float, mm
        Segment length.
    block_fraction : float
        Requested fraction of the units entering the segment that are blocked in it.
    n_blocked : int
        Units actually blocked here (``round(block_fraction * n_entering)``).
    blocked_size_fraction : float
        Size of the units blocked here / size of the units entering the segment (the expected
        amplitude and area loss of a pure block).
    cv_slowing_pct : float, %
        Slowing applied to every unit's CV here.
    extra_cv_sd_m_s : float, m/s
        Extra per-unit CV spread added here (pathological dispersion).
    mean_cv_m_s, sd_cv_m_s : float, m/s
        Mean and SD of the segment CV over the units that cross it.
    fastest_cv_m_s : float, m/s
        Largest CV among the units that cross it.
    dispersion_ms : float, ms
        SD over the crossing units of the segment conduction time ``length / CV`` (the temporal
        dispersion this segment adds; the terminal delay is not included).
    onset_cv_m_s : float, m/s
        ``length / (true onset here - true onset at the distal site)`` (NaN for segment 0): the CV a
        perfect onset detector would report.
    """

    label: str
    proximal_site: str
    distal_site: str
    length_mm: float
    block_fraction: float
    n_blocked: int
    blocked_size_fraction: float
    cv_slowing_pct: float
    extra_cv_sd_m_s: float
    mean_cv_m_s: float
    sd_cv_m_s: float
    fastest_cv_m_s: float
    dispersion_ms: float
    onset_cv_m_s: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (NaN → None)."""
        return C.json_value({k: getattr(self, k) for k in self.__dataclass_fields__})


@dataclass(frozen=True, eq=False)
class NerveTruth:
    """Ground truth of a simulated nerve.

    Attributes
    ----------
    sites : tuple of SiteTruth
        Distal → proximal, like the nerve's sites.
    segments : tuple of SegmentTruth
        Segment k ends at site k (segment 0: distal site to the muscle).
    n_units : int
        Motor units in the population.
    unit_cv_m_s : ndarray, m/s
        Base (healthy-segment) CV of every unit.
    unit_size_mv : ndarray, mV
        Negative-peak amplitude of every unit's MUAP.
    reference_amp_mv : float, mV
        The SNR reference: noise-free negative-peak amplitude at the distal site of the whole, unblocked
        population (every unit, whatever ``block_fraction``; evaluated over the full response even when
        the sweep is shorter). Equal to the distal CMAP amplitude when the distal segment has no block.
    snr_db : float, dB
        ``20 log10(reference_amp_mv / noise_mv)`` (inf = no noise).
    noise_mv : float, mV
        SD of the white noise (the same at every site).
    display_polarity : bool
        The sweeps were exported flipped (negative up).
    fwaves : FWaveTruth or None
        Truth of the F-wave train when one was simulated.
    """

    sites: tuple
    segments: tuple
    n_units: int
    unit_cv_m_s: np.ndarray
    unit_size_mv: np.ndarray
    reference_amp_mv: float
    snr_db: float
    noise_mv: float
    display_polarity: bool
    fwaves: FWaveTruth | None = None

    def site(self, name: str) -> SiteTruth:
        """The truth of the site called ``name``."""
        for s in self.sites:
            if s.name == name:
                return s
        raise ParameterError(f"site {name!r} not simulated; sites: {[s.name for s in self.sites]}")

    def to_dict(self, *, include_waveforms: bool = False) -> dict[str, Any]:
        """JSON-ready dict (NaN → None); per-unit arrays and waveforms only when asked."""
        d: dict[str, Any] = {
            "sites": [s.to_dict(include_waveforms=include_waveforms) for s in self.sites],
            "segments": [s.to_dict() for s in self.segments],
            "n_units": self.n_units,
            "reference_amp_mv": self.reference_amp_mv,
            "snr_db": self.snr_db,
            "noise_mv": self.noise_mv,
            "display_polarity": self.display_polarity,
            "fwaves": None if self.fwaves is None else self.fwaves.to_dict(),
        }
        if include_waveforms:
            d["unit_cv_m_s"] = self.unit_cv_m_s
            d["unit_size_mv"] = self.unit_size_mv
        return C.json_value(d)


@dataclass(frozen=True, eq=False)
class SimulatedNerve:
    """A simulated nerve recording with its ground truth.

    Attributes
    ----------
    nerve : Nerve
        The recording (sites distal → proximal, optional F-wave train).
    truth : NerveTruth
        Ground truth.
    parameters : dict
        The parameters used (JSON-ready).
    """

    nerve: Nerve
    truth: NerveTruth
    parameters: dict

    @property
    def study(self) -> Study:
        """A :class:`~ncs_emg.types.Study` holding this one nerve.

        ``source["exported_polarity"]`` records the polarity of the sweeps: ``"physical (negative
        down)"``, or ``"display (negative up)"`` for ``display_polarity=True``. Nothing in the file
        format flips data by itself: an importer must flip display-polarity data back before measuring
        (``-sweeps.data``, or ``read_study(edf, display_polarity=True)`` / the EDF sidecar for EDF);
        measuring it as is reports the positive phase as the negative peak.
        """
        return Study(
            (self.nerve,),
            subject_id="simulated",
            device="ncs_emg simulator",
            source={
                "generator": "ncs_emg.simulate_nerve",
                "exported_polarity": exported_polarity(self.truth.display_polarity),
                "parameters": self.parameters,
            },
        )

    def to_dict(self) -> dict[str, Any]:
        """Truth and parameters, JSON-ready (no waveforms)."""
        return {"truth": self.truth.to_dict(), "parameters": C.json_value(self.parameters)}


def exported_polarity(display: bool) -> str:
    """The ``Study.source["exported_polarity"]`` marker."""
    return "display (negative up)" if display else "physical (negative down)"


_FWAVE_OPTIONS = {
    "n_stimuli": 20,
    "p_backfire": 0.02,
    "n_repeaters": 2,
    "repeater_p": (0.1, 0.3),
    "a_wave": True,
    "a_wave_prob": 0.95,
    "a_wave_latency_ms": None,
    "a_wave_amp_mv": 0.15,
    "cord_distance_mm": None,
    "turnaround_ms": 1.0,
    "root_slowing_pct": 0.0,
    "sweep_ms": None,
    "snr_db": None,
}


def simulate_nerve(  # noqa: PLR0913 - documented keyword-only model options (a population object is still to come)
    nerve: str = "median",
    *,
    side: str = "right",
    sites: Any = None,
    distances_mm: Any = None,
    n_units: int | None = None,
    unit_size_mv: float | None = None,
    unit_size_sigma: float = 0.6,
    cv_mean_m_s: float | None = None,
    cv_sd_m_s: float | None = None,
    terminal_delay_ms: float | None = None,
    terminal_delay_sd_ms: float = 0.2,
    muap_duration_ms: Any = (7.0, 10.0),
    muap_pos_ratio: float = 1.2,
    block_fraction: Any = 0.0,
    cv_slowing_pct: Any = 0.0,
    extra_cv_sd_m_s: Any = 0.0,
    n_sweeps: int = 1,
    sweep_ms: float | None = None,
    fwaves: Any = False,
    rng: Any = None,
    conditions: RecordingConditions | None = None,
    **recording: Any,
) -> SimulatedNerve:
    """Simulate a motor nerve study (CMAPs at every stimulation site) from a motor-unit population.

    Parameters
    ----------
    nerve : {"median", "ulnar", "peroneal", "tibial"}
        Preset: muscle (APB, ADM, EDB, AH), sites, distances, segment labels and population defaults.
        Sites: median wrist, elbow, axilla (``"Erb's point"`` on request); ulnar wrist, below elbow,
        above elbow, axilla (``"Erb's point"`` on request); peroneal ankle, below fibular head, popliteal fossa; tibial ankle,
        popliteal fossa.
    side : {"right", "left", "unknown"}
        Side recorded.
    sites : sequence of str or None
        Preset sites to simulate, distal → proximal (default: the preset's usual set).
    distances_mm : sequence of float or None, mm
        One per site: first the stimulating cathode to active electrode distance, then each segment
        length (recording conventions: ``docs/simulation.md``), each > 0. Default: the preset's.
    n_units : int or None
        Motor units, 1 to 2000 (``_core.MAX_UNITS``; booleans refused). Default: preset; 200 for hand
        muscles, 100 EDB, 150 AH.
    unit_size_mv, unit_size_sigma : float (mV), float
        Median and log-normal sigma of the units' MUAP negative-peak amplitudes.
    cv_mean_m_s, cv_sd_m_s : float, m/s
        Normal distribution of the units' conduction velocities (default: arm 57-58 ± 4, leg 48-49 ±
        4). Draws are floored at 20 % of the mean.
    terminal_delay_ms, terminal_delay_sd_ms : float, ms
        Distal delay (terminal branches and endplate), mean and SD (floored at 0.2 ms).
    muap_duration_ms : (float, float), ms
        Range of the units' MUAP durations (uniform draw), in (0, 30] ms; 5-10 ms physiologically.
    muap_pos_ratio : float
        Duration of a MUAP's positive lobe / its negative lobe (zero net area).
    block_fraction : float or sequence, in [0, 1]
        Per segment (one value per site; index 0 = the distal segment from the first site to the
        muscle, index k = between sites k-1 and k): the fraction of the units entering the segment that
        are blocked in it (chosen at random, whatever their size).
    cv_slowing_pct : float or sequence, %, in [0, 100)
        Per segment: every unit's CV is reduced by this percentage there.
    extra_cv_sd_m_s : float or sequence, m/s, >= 0
        Per segment: each unit's CV there gets an extra independent normal deviation with this SD
        (pathological dispersion; floored at 10 % of the population mean).
    n_sweeps : int
        Sweeps per site (same response, independent noise), 1 to 1000.
    sweep_ms : float or None, ms
        Sweep length after the stimulus (default 40 ms arm, 50 ms leg).
    fwaves : bool or dict
        Also simulate an F-wave train from the distal site with the same population (blocked units do
        not back-fire; segment slowing applies on the way to the cord). A dict sets its options:
        ``n_stimuli`` (20), ``p_backfire`` (0.02), ``n_repeaters`` (2), ``repeater_p`` ((0.1, 0.3)),
        ``a_wave`` (True), ``a_wave_prob`` (0.95), ``a_wave_latency_ms`` (in (0, sweep end)),
        ``a_wave_amp_mv`` (0.15), ``cord_distance_mm`` (preset; the earliest F-wave must start after
        the end of the M-wave), ``turnaround_ms`` (1.0), ``root_slowing_pct`` (0: slowing of the path
        beyond the most proximal site), ``sweep_ms`` (50 arm / 100 leg, lengthened in 10 ms steps to
        hold every F-wave; must hold the latest F and A arrival plus its MUAP), ``snr_db`` (None: the
        nerve's recording noise, physical and the same as on the CMAP sweeps; a number: SNR in dB
        with the M-wave negative peak as reference).
        ``n_stimuli`` is 1 to 1000.
    rng : None, int >= 0, numpy.random.Generator
        Seed or generator (``np.random.default_rng(rng)``): the same seed gives the same nerve.
    conditions : RecordingConditions or None
        Sampling rate, pre-trigger, noise, hum, drift, artefact, clipping and polarity
        (:class:`~ncs_emg.simulate.RecordingConditions`; default 20 kHz, 5 ms pre-trigger, 10 µV RMS
        white noise, 5 µV hum). The sampling rate must give at least 10 samples over the shortest
        MUAP negative lobe (3.2 kHz at the default durations). With ``snr_db`` set, the reference
        amplitude is the noise-free negative peak at the *distal* site of the whole population, as if
        nothing were blocked (``truth.reference_amp_mv``): a block removes response but not noise.
        The noise SD is the same at every site.
    **recording
        Any :class:`~ncs_emg.simulate.RecordingConditions` field by name (``snr_db=40``,
        ``hum_mv=0``, ``sfreq_hz=10000``, ...), applied on top of ``conditions``.

    Returns
    -------
    SimulatedNerve
        ``.nerve`` (a :class:`~ncs_emg.types.Nerve`), ``.truth`` and ``.study``.

    Raises
    ------
    ParameterError
        Naming the parameter: unknown nerve or site, counts < 1, above their bound or boolean,
        distances <= 0, CV <= 0, a block fraction outside [0, 1], slowing outside [0, 100), SNR NaN,
        MUAP durations outside (0, 30] ms, a sampling rate too low for the MUAPs or the measurement
        windows, an F-wave sweep too short for the F-waves, an invalid ``rng``, sequences of the wrong
        length.

    Notes
    -----
    Unit i reaches the muscle from site k at ``terminal_delay_i + sum_{j<=k} L_j / CV_ij`` (``L_0`` =
    distal distance), ``CV_ij = max((CV_i + s_j z_ij)(1 - slowing_j / 100), 0.1 mean CV)`` with ``s_j``
    the segment's extra SD and ``z_ij`` standard normal; its MUAP starts exactly then, leaving the
    baseline with a linear take-off (compact cubic lobes ``s (1 - s^2)``,
    ``ncs_emg.simulate._core.muap_shape``), so the first arrival is the true onset and the waveform
    reaches 1 µV tens of µs later (``detectable_onset_ms``). The truth measures come from the model
    itself (``ncs_emg.simulate.truth``: the MUAP sum on a 10 µs grid, 1 µV band, plain NumPy). A
    block in segment j removes its units from sites j, j+1, ...: amplitude and area scale by
    about ``1 - f`` with the duration unchanged. Widening the CV distribution makes MUAPs cancel
    (Rhee, England & Sumner, Ann Neurol 1990). The low-frequency filter is simulated (and recorded as
    ``Nerve.lff_hz``) only when ``lff_hz`` is set in the recording conditions; no high-frequency
    filter is simulated (``hff_hz`` is None).

    Examples
    --------
    >>> sim = simulate_nerve("ulnar", block_fraction=[0, 0, 0.5, 0], snr_db=40, rng=1)
    >>> [s.name for s in sim.nerve.sites]
    ['wrist', 'below elbow', 'above elbow', 'axilla']
    >>> sim.truth.segments[2].label, sim.truth.segments[2].n_blocked
    ('ulnar across elbow', 100)
    """
    kw = {k: v for k, v in locals().items() if k not in ("conditions", "recording")}
    kw["conditions"] = resolve_conditions(conditions, recording)
    p = _Params(kw)
    return _simulate(p)


class _Params:
    """Validated parameters of :func:`simulate_nerve`."""

    def __init__(self, kw: dict[str, Any]):
        pre = self.preset = _preset(kw["nerve"])
        names, order = _site_order(pre, kw["sites"])
        self.site_names = names
        n_sites = len(names)
        self.distances = _distances(pre, order, kw["distances_mm"])
        self.labels = _segment_labels(pre, order)
        self.side = kw["side"]
        self._population(pre, kw)
        self.block = C.per_item(kw["block_fraction"], n_sites, "block_fraction", lo=0.0, hi=1.0)
        self.slowing = C.per_item(
            kw["cv_slowing_pct"], n_sites, "cv_slowing_pct", lo=0.0, hi=100.0, hi_open=True
        )
        self.extra_sd = C.per_item(kw["extra_cv_sd_m_s"], n_sites, "extra_cv_sd_m_s", lo=0.0)
        self.n_sweeps = C.check_count(kw["n_sweeps"], "n_sweeps", maximum=C.MAX_SWEEPS)
        length = pre.sweep_ms if kw["sweep_ms"] is None else kw["sweep_ms"]
        cond: RecordingConditions = kw["conditions"]
        self.conditions = cond
        self.fs, self.dt, self.t0, self.n = C.time_base(cond.sfreq_hz, cond.pre_ms, length)
        C.check_sampling(self.fs, self.muap_duration_ms[0] / (1.0 + self.muap_pos_ratio))
        self.sweep_ms = length
        self.rec = cond.realism()
        self.display_polarity = cond.display_polarity
        self.fwaves: dict[str, Any] | None = _fwave_options(kw["fwaves"])
        self.rng = C.make_rng(kw["rng"])
        self.record = self._record(kw)

    def _population(self, pre: NervePreset, g: dict[str, Any]) -> None:
        """Motor-unit population options: the preset's defaults where None, each checked."""
        self.n_units = C.check_count(
            pre.n_units if g["n_units"] is None else g["n_units"], "n_units", maximum=C.MAX_UNITS
        )
        size = pre.unit_size_mv if g["unit_size_mv"] is None else g["unit_size_mv"]
        self.unit_size_mv = C.check_real(size, "unit_size_mv", lo=0.0, lo_open=True)
        self.unit_size_sigma = C.check_real(g["unit_size_sigma"], "unit_size_sigma", lo=0.0)
        cv = pre.cv_mean_m_s if g["cv_mean_m_s"] is None else g["cv_mean_m_s"]
        self.cv_mean_m_s = C.check_real(cv, "cv_mean_m_s", lo=0.0, lo_open=True)
        cvsd = pre.cv_sd_m_s if g["cv_sd_m_s"] is None else g["cv_sd_m_s"]
        self.cv_sd_m_s = C.check_real(cvsd, "cv_sd_m_s", lo=0.0)
        td = pre.terminal_delay_ms if g["terminal_delay_ms"] is None else g["terminal_delay_ms"]
        self.terminal_delay_ms = C.check_real(td, "terminal_delay_ms", lo=0.0)
        self.terminal_delay_sd_ms = C.check_real(
            g["terminal_delay_sd_ms"], "terminal_delay_sd_ms", lo=0.0
        )
        self.muap_duration_ms = C.check_muap_duration(g["muap_duration_ms"])
        self.muap_pos_ratio = C.check_real(
            g["muap_pos_ratio"], "muap_pos_ratio", lo=0.0, lo_open=True
        )

    def _record(self, kw: dict[str, Any]) -> Any:
        """The parameters recorded with the result (JSON-ready), defaults resolved."""
        record = C.json_value(
            {
                k: v
                for k, v in kw.items()
                if k not in ("rng", "sites", "distances_mm", "fwaves", "conditions")
            }
        )
        record.update(self.conditions.to_dict())
        record.update(
            nerve=self.preset.nerve,
            sites=list(self.site_names),
            distances_mm=self.distances,
            n_units=self.n_units,
            cv_mean_m_s=self.cv_mean_m_s,
            cv_sd_m_s=self.cv_sd_m_s,
            unit_size_mv=self.unit_size_mv,
            terminal_delay_ms=self.terminal_delay_ms,
            sweep_ms=self.sweep_ms,
            fwaves=self.fwaves,
        )
        return C.json_value(record)


def _preset(name: Any) -> NervePreset:
    if not isinstance(name, str) or name.strip().lower() not in PRESETS:
        raise ParameterError(f"nerve: invalid value {name!r}; valid options: {sorted(PRESETS)}")
    return PRESETS[name.strip().lower()]


def _site_order(pre: NervePreset, sites: Any) -> tuple[list[str], list[int]]:
    """The site names asked for (the preset's default when None) and their preset indices."""
    known = [s[0] for s in pre.sites]
    names = pre.default_sites if sites is None else sites
    if isinstance(names, str) or len(list(names)) == 0:
        raise ParameterError(f"sites: expected a non-empty list of site names from {known}")
    names = list(names)
    for s in names:
        if s not in known:
            raise ParameterError(f"sites: unknown site {s!r} for {pre.nerve}; valid: {known}")
    order = [known.index(s) for s in names]
    if order != sorted(set(order)):
        raise ParameterError(
            f"sites: must be distinct and ordered distal to proximal ({known}), got {names}"
        )
    return names, order


def _distances(pre: NervePreset, order: list[int], distances_mm: Any) -> np.ndarray:
    """Distal distance, then segment lengths (mm): the preset's path unless given."""
    n_sites = len(order)
    if distances_mm is None:
        cum = np.cumsum([site[1] for site in pre.sites])
        return np.diff(cum[order], prepend=0.0)
    if np.ndim(distances_mm) == 0:
        raise ParameterError(f"distances_mm: expected {n_sites} distances, got a scalar")
    return C.per_item(distances_mm, n_sites, "distances_mm", lo=0.0, lo_open=True)


def _segment_labels(pre: NervePreset, order: list[int]) -> list[str]:
    """Anatomical label of each segment (the preset's, or a span label when sites are skipped)."""
    known = [s[0] for s in pre.sites]
    labels = []
    for k, i in enumerate(order):
        prev = order[k - 1] if k else -1
        if i == prev + 1:
            labels.append(pre.sites[i][2])
        elif k == 0:
            labels.append(f"{pre.nerve} distal ({known[i]} to {pre.muscle})")
        else:
            labels.append(f"{pre.nerve} {known[prev]} to {known[i]}")
    return labels


def _fwave_options(fw: Any) -> dict[str, Any] | None:
    """The F-wave options of ``fwaves`` (True: the defaults; a dict: checked names) or None."""
    if isinstance(fw, dict):
        unknown = sorted(set(fw) - set(_FWAVE_OPTIONS))
        if unknown:
            raise ParameterError(
                f"fwaves: unknown options {unknown}; valid: {sorted(_FWAVE_OPTIONS)}"
            )
        return {**_FWAVE_OPTIONS, **fw}
    if fw is True:
        return dict(_FWAVE_OPTIONS)
    if fw is False or fw is None:
        return None
    raise ParameterError(f"fwaves: expected True, False or a dict of options, got {fw!r}")


@dataclass(frozen=True, eq=False)
class _Conduction:
    """The population and how it conducts (private step result of :func:`_simulate`)."""

    pop: C.Population
    seg_cv: np.ndarray  # (n_sites, n_units) segment CVs, m/s
    seg_time: np.ndarray  # (n_sites, n_units) segment conduction times, ms
    alive_at: np.ndarray  # (n_sites, n_units) units reaching the muscle from site k
    n_blocked: np.ndarray  # (n_sites,) units blocked in segment k
    blocked_size: np.ndarray  # (n_sites,) blocked size fraction of segment k
    arrival: np.ndarray  # (n_sites, n_units) arrival at the muscle, ms


def _conduct(p: _Params) -> _Conduction:
    """Population, per-segment CVs, blocks and arrival times (the random draws, in a fixed order)."""
    g = p.rng
    pop = C.make_population(
        g,
        n_units=p.n_units,
        cv_mean_m_s=p.cv_mean_m_s,
        cv_sd_m_s=p.cv_sd_m_s,
        terminal_delay_ms=p.terminal_delay_ms,
        terminal_delay_sd_ms=p.terminal_delay_sd_ms,
        unit_size_mv=p.unit_size_mv,
        unit_size_sigma=p.unit_size_sigma,
        muap_duration_ms=p.muap_duration_ms,
        muap_pos_ratio=p.muap_pos_ratio,
    )
    n_sites, n_u = len(p.site_names), p.n_units
    # per-segment CVs (n_sites, n_units); draws happen even for zero SD so that changing one
    # segment's parameters does not reshuffle the others' random numbers
    z = g.standard_normal((n_sites, n_u))
    seg_cv = (pop.cv_m_s[None, :] + p.extra_sd[:, None] * z) * (1.0 - p.slowing[:, None] / 100.0)
    seg_cv = np.maximum(seg_cv, 0.1 * p.cv_mean_m_s)
    seg_time = p.distances[:, None] / seg_cv  # ms
    # blocks: segment k removes round(f * entering) of the units entering it
    alive = np.ones(n_u, bool)
    alive_at = np.empty((n_sites, n_u), bool)
    n_blocked = np.zeros(n_sites, np.int64)
    blocked_size = np.zeros(n_sites)
    order = g.permutation(n_u)  # random, size-independent choice of blocked units
    for k in range(n_sites):
        entering = order[alive[order]]
        nb = int(round(p.block[k] * entering.size))
        size_in = pop.size_mv[entering].sum()
        if nb:
            gone = entering[:nb]
            alive[gone] = False
            blocked_size[k] = pop.size_mv[gone].sum() / size_in if size_in > 0 else 0.0
        n_blocked[k] = nb
        alive_at[k] = alive
    arrival = pop.terminal_delay_ms[None, :] + np.cumsum(seg_time, axis=0)
    return _Conduction(pop, seg_cv, seg_time, alive_at, n_blocked, blocked_size, arrival)


def _noise_free(p: _Params, c: _Conduction) -> tuple[np.ndarray, float]:
    """Noise-free sweeps per site and the SNR reference amplitude (mV)."""
    pop = c.pop
    clean = np.empty((len(p.site_names), p.n))
    for k in range(clean.shape[0]):
        u = np.flatnonzero(c.alive_at[k])
        clean[k] = C.sum_muaps(
            c.arrival[k, u],
            pop.size_mv[u],
            pop.neg_ms[u],
            pop.pos_ms[u],
            t0_ms=p.t0,
            dt_ms=p.dt,
            n_samples=p.n,
        )
    if (
        c.alive_at[0].all()
        and float(np.max(c.arrival[0] + pop.neg_ms + pop.pos_ms)) < p.t0 + (p.n - 2) * p.dt
    ):  # nothing blocked distally and the sweep holds every MUAP: the distal CMAP itself
        return clean, float(max(0.0, -clean[0].min()))
    return clean, reference_amplitude(pop, c.arrival[0], p.t0, p.dt, p.n)


def _site_truth(p: _Params, c: _Conduction, k: int, clean_k: np.ndarray) -> SiteTruth:
    """Truth of site k (first arrival, detectable onset; measures computed on first access)."""
    pop = c.pop
    u = np.flatnonzero(c.alive_at[k])
    if u.size:
        j = int(u[np.argmin(c.arrival[k, u])])
        onset = float(c.arrival[k, j])
    else:
        j, onset = -1, math.nan
    detectable = C.detectable_onset(
        clean_k,
        c.arrival[k, u],
        pop.size_mv[u],
        pop.neg_ms[u],
        pop.pos_ms[u],
        t0_ms=p.t0,
        dt_ms=p.dt,
        level_mv=DETECTABLE_LEVEL_MV,
    )
    return SiteTruth(
        name=p.site_names[k],
        distance_mm=float(p.distances[k]),
        path_mm=float(np.cumsum(p.distances)[k]),
        segment=p.labels[k],
        true_onset_ms=onset,
        detectable_onset_ms=detectable,
        first_unit=j,
        n_conducting=int(u.size),
        conducting_size_fraction=float(pop.size_mv[u].sum() / pop.size_mv.sum()),
        band_mv=TRUTH_BAND_MV,
        noise_free=C.readonly(clean_k),
        units=(
            C.readonly(c.arrival[k, u]),
            C.readonly(pop.size_mv[u]),
            C.readonly(pop.neg_ms[u]),
            C.readonly(pop.pos_ms[u]),
            p.t0 + (p.n - 1) * p.dt,
        ),
    )


def _segment_truth(p: _Params, c: _Conduction, k: int, onsets: list[float]) -> SegmentTruth:
    """Truth of segment k (it ends at site k; segment 0 runs from the distal site to the muscle)."""
    cross = c.alive_at[k]  # units that made it through segment k
    cvs = c.seg_cv[k, cross]
    times = c.seg_time[k, cross]
    step = onsets[k] - onsets[k - 1] if k else math.nan
    return SegmentTruth(
        label=p.labels[k],
        proximal_site=p.site_names[k],
        distal_site="muscle" if k == 0 else p.site_names[k - 1],
        length_mm=float(p.distances[k]),
        block_fraction=float(p.block[k]),
        n_blocked=int(c.n_blocked[k]),
        blocked_size_fraction=float(c.blocked_size[k]),
        cv_slowing_pct=float(p.slowing[k]),
        extra_cv_sd_m_s=float(p.extra_sd[k]),
        mean_cv_m_s=float(cvs.mean()) if cvs.size else math.nan,
        sd_cv_m_s=float(cvs.std()) if cvs.size else math.nan,
        fastest_cv_m_s=float(cvs.max()) if cvs.size else math.nan,
        dispersion_ms=float(times.std()) if times.size else math.nan,
        onset_cv_m_s=float(p.distances[k] / step) if k and step > 0 else math.nan,
    )


def _recorded_sites(p: _Params, clean: np.ndarray, noise: float) -> tuple[Site, ...]:
    """The recorded sweeps of every site (noise, hum, drift, artefact, filter, clipping, polarity)."""
    n_sites = clean.shape[0]
    data = C.add_recording(
        p.rng,
        np.repeat(clean[:, None, :], p.n_sweeps, axis=1).reshape(n_sites * p.n_sweeps, p.n),
        t0_ms=p.t0,
        dt_ms=p.dt,
        noise_mv=noise,
        realism=p.rec,
    ).reshape(n_sites, p.n_sweeps, p.n)
    if p.display_polarity:
        data = -data
    return tuple(
        Site(
            name,
            Sweeps(data[k], p.fs, p.t0),
            distance_mm=float(p.distances[k]),
            segment=p.labels[k],
        )
        for k, name in enumerate(p.site_names)
    )


def _simulate(p: _Params) -> SimulatedNerve:
    c = _conduct(p)
    clean, ref_amp = _noise_free(p, c)
    noise = p.conditions.noise_mv(ref_amp)
    site_truths = [_site_truth(p, c, k, clean[k]) for k in range(clean.shape[0])]
    onsets = [st.true_onset_ms for st in site_truths]
    seg_truths = [_segment_truth(p, c, k, onsets) for k in range(clean.shape[0])]
    sites = _recorded_sites(p, clean, noise)
    fw_sweeps, fw_truth = None, None
    if p.fwaves is not None:
        fw_sweeps, fw_truth = _fwaves_for(
            p, p.rng, c.pop, c.seg_cv, c.arrival[0], alive_at=c.alive_at, noise_mv=noise
        )
    pre = p.preset
    nerve = Nerve(
        pre.nerve,
        side=p.side,
        muscle=pre.muscle,
        kind="motor",
        sites=sites,
        fwaves=fw_sweeps,
        lff_hz=p.conditions.lff_hz,
    )
    truth = NerveTruth(
        sites=tuple(site_truths),
        segments=tuple(seg_truths),
        n_units=p.n_units,
        unit_cv_m_s=C.readonly(c.pop.cv_m_s),
        unit_size_mv=C.readonly(c.pop.size_mv),
        reference_amp_mv=ref_amp,
        snr_db=snr_db_of(ref_amp, noise),
        noise_mv=noise,
        display_polarity=p.display_polarity,
        fwaves=fw_truth,
    )
    return SimulatedNerve(nerve, truth, p.record)


def reference_amplitude(
    pop: C.Population, arrival_ms: np.ndarray, t0: float, dt: float, n: int
) -> float:
    """Noise-free negative-peak amplitude at the distal site of every unit (blocked or not), on the
    sweep's time grid extended to the end of the latest MUAP: the SNR reference."""
    end = float(np.max(arrival_ms + pop.neg_ms + pop.pos_ms))
    n_ext = max(n, int(math.ceil((end - t0) / dt)) + 2)
    x = C.sum_muaps(
        arrival_ms, pop.size_mv, pop.neg_ms, pop.pos_ms, t0_ms=t0, dt_ms=dt, n_samples=n_ext
    )
    return float(max(0.0, -x.min()))


def _equivalent_snr_db(
    pop: C.Population,
    m_arrival: np.ndarray,
    conducting: np.ndarray,
    *,
    t0: float,
    dt: float,
    n: int,
    noise_mv: float,
) -> float:
    """The SNR (dB, M-wave negative peak as reference, as ``fwave_train`` defines it) that gives the
    F-wave train the nerve's own absolute noise ``noise_mv``: recording noise does not depend on the
    response. The M-wave is summed on the F sweep's time base exactly as ``fwave_train`` sums it
    (until ``fwave_train`` takes an absolute noise level itself)."""
    if noise_mv <= 0.0:
        return math.inf
    u = np.flatnonzero(conducting)
    m = C.sum_muaps(
        m_arrival[u], pop.size_mv[u], pop.neg_ms[u], pop.pos_ms[u], t0_ms=t0, dt_ms=dt, n_samples=n
    )
    amp = float(-m.min()) if u.size else 0.0
    return snr_db_of(amp, noise_mv) if amp > 0.0 else math.inf


def _fwaves_for(
    p: _Params,
    g: np.random.Generator,
    pop: C.Population,
    seg_cv: np.ndarray,
    m_arrival: np.ndarray,
    *,
    alive_at: np.ndarray,
    noise_mv: float,
) -> tuple[Sweeps, FWaveTruth]:
    """F-wave train from the distal site with the nerve's own population, blocks and slowing."""
    o = p.fwaves
    assert o is not None  # only called when an F-wave train was asked for
    pre = p.preset
    n_stim = C.check_count(o["n_stimuli"], "fwaves['n_stimuli']", maximum=C.MAX_STIMULI)
    p_bf = C.check_real(o["p_backfire"], "fwaves['p_backfire']", lo=0.0, hi=1.0)
    n_rep = C.check_count(o["n_repeaters"], "fwaves['n_repeaters']", minimum=0, maximum=C.MAX_UNITS)
    rep_p = C.check_pair(o["repeater_p"], "fwaves['repeater_p']", lo=0.0, lo_open=False)
    if rep_p[1] > 1.0:
        raise ParameterError(f"fwaves['repeater_p']: must lie in [0, 1], got {o['repeater_p']!r}")
    a_prob = C.check_real(o["a_wave_prob"], "fwaves['a_wave_prob']", lo=0.0, hi=1.0)
    a_lat = o["a_wave_latency_ms"]
    a_lat = None if a_lat is None else C.check_real(a_lat, "fwaves['a_wave_latency_ms']")
    a_amp = C.check_real(o["a_wave_amp_mv"], "fwaves['a_wave_amp_mv']", lo=0.0)
    dc = pre.cord_distance_mm if o["cord_distance_mm"] is None else o["cord_distance_mm"]
    dc = C.check_real(dc, "fwaves['cord_distance_mm']", lo=0.0, lo_open=True)
    inside = float(p.distances[1:].sum())
    if dc < inside:
        raise ParameterError(
            f"fwaves['cord_distance_mm']: {dc:g} mm is shorter than the simulated segments above the "
            f"distal site ({inside:g} mm); valid: >= {inside:g}"
        )
    turn = C.check_real(o["turnaround_ms"], "fwaves['turnaround_ms']", lo=0.0)
    root = C.check_real(
        o["root_slowing_pct"], "fwaves['root_slowing_pct']", lo=0.0, hi=100.0, hi_open=True
    )
    snr = None if o["snr_db"] is None else C.check_snr_db(o["snr_db"], "fwaves['snr_db']")
    # one way from the distal site to the cord: the simulated segments, then the rest at the base CV
    root_cv = np.maximum(pop.cv_m_s * (1.0 - root / 100.0), 0.1 * p.cv_mean_m_s)
    one_way = (p.distances[1:, None] / seg_cv[1:]).sum(axis=0) + (dc - inside) / root_cv
    f_arr = m_arrival + 2.0 * one_way + turn
    conducting_f = alive_at[-1] & alive_at[0]
    if o["sweep_ms"] is None:  # the preset's sweep, lengthened (10 ms steps) to hold every F-wave
        length = default_fwave_sweep(pre.fwave_sweep_ms, f_arr, pop, conducting_f)
    else:
        length = o["sweep_ms"]
    fs, dt, t0, n = C.time_base(p.fs, -p.t0, length)
    if snr is None:
        snr = _equivalent_snr_db(pop, m_arrival, alive_at[0], t0=t0, dt=dt, n=n, noise_mv=noise_mv)
    unit_p, rep = draw_unit_p(g, pop.n_units, p_bf, n_rep, rep_p, eligible=conducting_f)
    # the M-wave of the train comes from every unit that reaches the muscle from the distal site
    unit_p = np.where(conducting_f, unit_p, 0.0)
    units = TrainUnits(m_arrival, np.where(conducting_f, f_arr, np.nan), unit_p, alive_at[0], rep)
    return fwave_train(
        g,
        pop,
        units,
        n_stimuli=n_stim,
        a_wave=AWaveSpec(a_prob, a_lat, a_amp) if o["a_wave"] else None,
        time_base=(fs, dt, t0, n),
        conditions=p.conditions,
        cord_distance_mm=dc,
        option_of="fwaves",
        snr_db=snr,
    )
