"""Input containers: sweeps with their time base, stimulation sites, nerves and studies.

All containers are frozen dataclasses validated on construction; an invalid field raises
:class:`~ncs_emg.errors.ParameterError` naming the field and the bad value. Arrays are stored as
read-only float64 copies, so a container cannot change behind the back of a result computed from it.

Conventions (``docs/hdf5-format.md``, "Recording conventions")
-------------------------------------------------------------
* Voltages are physical, active (G1) minus reference (G2), in mV: a normal CMAP starts negative.
* ``t0_ms`` is the time of sample 0 relative to the stimulus (negative with a pre-stimulus baseline).
* Sites are ordered distal → proximal. ``distance_mm`` of the first site is the distance from the
  stimulating cathode to the active recording electrode; of every further site, the length of the
  segment to the previous (more distal) site. ``segment`` labels that segment (e.g.
  ``"ulnar across elbow"``); the first site's label names the distal segment.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import ParameterError

__all__ = ["Sweeps", "Site", "Nerve", "Study", "NERVE_ALIASES"]

#: Nerve-name aliases normalised on construction (the package uses the first spelling).
NERVE_ALIASES = {"fibular": "peroneal", "common peroneal": "peroneal", "deep peroneal": "peroneal"}

_SIDES = ("left", "right", "unknown")
_KINDS = ("motor", "fwave")


def _opt_float(
    value: Any, name: str, *, positive: bool = False, nonneg: bool = False
) -> float | None:
    if value is None:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"{name}: expected a number or None, got {value!r}") from exc
    if math.isnan(v):
        return None
    if not math.isfinite(v):
        raise ParameterError(f"{name}: expected a finite number or None, got {value!r}")
    if positive and v <= 0:
        raise ParameterError(f"{name}: must be > 0 when given, got {value!r}")
    if nonneg and v < 0:
        raise ParameterError(f"{name}: must be >= 0 when given, got {value!r}")
    return v


def _opt_array_equal(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return np.array_equal(a, b, equal_nan=True)


def _readonly(a: np.ndarray) -> np.ndarray:
    """A read-only array nobody else can write to.

    An array that is already read-only and owns its memory (``base is None``: a reader made it and
    handed it over) is kept as is, so reading a file holds one copy of the data; anything else is
    copied.
    """
    if (
        isinstance(a, np.ndarray)
        and not a.flags.writeable
        and a.base is None
        and a.flags.c_contiguous
    ):
        return a
    a = np.array(a, copy=True)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class Sweeps:
    """Sweeps recorded with one time base.

    Attributes
    ----------
    data : ndarray of float64, shape (n_sweeps, n_samples), mV
        Physical voltage, active minus reference, time on the last axis. Read-only.
    sfreq_hz : float, Hz
        Sampling rate (> 0).
    t0_ms : float, ms
        Time of sample 0 relative to the stimulus (negative when a pre-stimulus baseline exists).
    accepted : ndarray of bool, shape (n_sweeps,)
        Sweeps the operator accepted (all True unless the export says otherwise).
    stim_intensity_ma : ndarray of float, shape (n_sweeps,), mA, or None
        Stimulus intensity of every sweep when the export records it (NaN: unknown for that sweep).
    pulse_width_ms : ndarray of float, shape (n_sweeps,), ms, or None
        Stimulus pulse width of every sweep when recorded (NaN: unknown).
    saturated : ndarray of bool, shape (n_sweeps,), or None
        True for a sweep in which the file reader found samples at the digital limits of the
        recording (clipped amplifier or a dead channel). None when the source cannot tell (for
        example simulated or HDF5 data written without it). Measures should treat such sweeps as
        saturated even when the physical values look like a flat line.
    """

    data: np.ndarray
    sfreq_hz: float
    t0_ms: float = 0.0
    accepted: np.ndarray | None = None
    stim_intensity_ma: np.ndarray | None = None
    pulse_width_ms: np.ndarray | None = None
    saturated: np.ndarray | None = None

    def __post_init__(self) -> None:
        from ._validate import as_sweeps, check_finite, check_positive

        arr, _ = as_sweeps(self.data, name="Sweeps.data")
        object.__setattr__(self, "data", _readonly(arr))
        object.__setattr__(self, "sfreq_hz", check_positive(self.sfreq_hz, "Sweeps.sfreq_hz"))
        object.__setattr__(self, "t0_ms", check_finite(self.t0_ms, "Sweeps.t0_ms"))
        if self.accepted is None:
            acc = np.ones(arr.shape[0], dtype=bool)
        else:
            acc = np.asarray(self.accepted)
            if acc.shape != (arr.shape[0],) or acc.dtype.kind not in "bi":
                raise ParameterError(
                    f"Sweeps.accepted: expected {arr.shape[0]} booleans, got shape {acc.shape} "
                    f"dtype {acc.dtype}"
                )
            acc = acc.astype(bool)
        object.__setattr__(self, "accepted", _readonly(acc))
        for fld, positive in (("stim_intensity_ma", False), ("pulse_width_ms", True)):
            v = getattr(self, fld)
            if v is None:
                continue
            try:
                a = np.asarray(v, dtype=np.float64)
            except (TypeError, ValueError) as exc:
                raise ParameterError(f"Sweeps.{fld}: expected numbers, got {v!r}") from exc
            if a.shape != (arr.shape[0],):
                raise ParameterError(
                    f"Sweeps.{fld}: expected one value per sweep ({arr.shape[0]}), got shape {a.shape}"
                )
            known = a[~np.isnan(a)]
            out_of_range = (known <= 0).any() if positive else (known < 0).any()
            if not np.isfinite(known).all() or out_of_range:
                raise ParameterError(
                    f"Sweeps.{fld}: values must be finite and {'> 0' if positive else '>= 0'} "
                    f"(NaN = unknown), got {a.tolist()}"
                )
            object.__setattr__(self, fld, _readonly(a) if not np.isnan(a).all() else None)
        if self.saturated is not None:
            sat = np.asarray(self.saturated)
            if sat.shape != (arr.shape[0],) or sat.dtype.kind != "b":
                raise ParameterError(
                    f"Sweeps.saturated: expected {arr.shape[0]} booleans, got shape {sat.shape} "
                    f"dtype {sat.dtype}"
                )
            object.__setattr__(self, "saturated", _readonly(sat))

    def __repr__(self) -> str:
        return (
            f"Sweeps(data=<{self.n_sweeps} x {self.n_samples} mV>, sfreq_hz={self.sfreq_hz!r}, "
            f"t0_ms={self.t0_ms!r}, accepted={int(np.asarray(self.accepted).sum())}/{self.n_sweeps}"
            + ("" if self.saturated is None else f", saturated={int(self.saturated.sum())}")
            + ")"
        )

    @property
    def n_sweeps(self) -> int:
        """Number of sweeps."""
        return int(self.data.shape[0])

    @property
    def n_samples(self) -> int:
        """Samples per sweep."""
        return int(self.data.shape[1])

    @property
    def dt_ms(self) -> float:
        """Sampling interval in ms."""
        return 1000.0 / self.sfreq_hz

    @property
    def times_ms(self) -> np.ndarray:
        """Time of every sample relative to the stimulus, ms, shape (n_samples,)."""
        return self.t0_ms + np.arange(self.n_samples) * self.dt_ms

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sweeps):
            return NotImplemented
        return (
            self.sfreq_hz == other.sfreq_hz
            and self.t0_ms == other.t0_ms
            and np.array_equal(self.data, other.data)
            and np.array_equal(np.asarray(self.accepted), np.asarray(other.accepted))
            and _opt_array_equal(self.stim_intensity_ma, other.stim_intensity_ma)
            and _opt_array_equal(self.pulse_width_ms, other.pulse_width_ms)
            and _opt_array_equal(self.saturated, other.saturated)
        )

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True)
class Site:
    """One stimulation site of a motor nerve.

    Attributes
    ----------
    name : str
        Site name, unique within the nerve (e.g. ``"wrist"``, ``"below elbow"``).
    sweeps : Sweeps
        The CMAP sweeps recorded when stimulating here (mV).
    distance_mm : float or None, mm
        First site: stimulating cathode to active recording electrode. Further sites: length of the
        segment to the previous (more distal) site. None when unknown (segment CV then not evaluable).
    segment : str or None
        Anatomical label of that segment (e.g. ``"forearm"``, ``"across elbow"``).
    stim_intensity_ma : float or None, mA
        Stimulus intensity when known.
    pulse_width_ms : float or None, ms
        Stimulus pulse width when known.
    """

    name: str
    sweeps: Sweeps
    distance_mm: float | None = None
    segment: str | None = None
    stim_intensity_ma: float | None = None
    pulse_width_ms: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ParameterError(f"Site.name: expected a non-empty string, got {self.name!r}")
        if not isinstance(self.sweeps, Sweeps):
            raise ParameterError(
                f"Site.sweeps (site {self.name!r}): expected a Sweeps object, got "
                f"{type(self.sweeps).__name__}"
            )
        object.__setattr__(
            self,
            "distance_mm",
            _opt_float(self.distance_mm, f"Site.distance_mm (site {self.name!r})", nonneg=True),
        )
        object.__setattr__(
            self,
            "stim_intensity_ma",
            _opt_float(
                self.stim_intensity_ma, f"Site.stim_intensity_ma (site {self.name!r})", nonneg=True
            ),
        )
        object.__setattr__(
            self,
            "pulse_width_ms",
            _opt_float(
                self.pulse_width_ms, f"Site.pulse_width_ms (site {self.name!r})", positive=True
            ),
        )
        if self.segment is not None and not isinstance(self.segment, str):
            raise ParameterError(
                f"Site.segment (site {self.name!r}): expected str or None, got {self.segment!r}"
            )

    def __repr__(self) -> str:
        return (
            f"Site({self.name!r}, distance_mm={self.distance_mm!r}, segment={self.segment!r}, "
            f"sweeps={self.sweeps.n_sweeps}x{self.sweeps.n_samples} @ {self.sweeps.sfreq_hz:g} Hz)"
        )


@dataclass(frozen=True)
class Nerve:
    """One nerve recording: motor sites ordered distal → proximal and an optional F-wave train.

    Attributes
    ----------
    nerve : str
        Nerve name, lower case (``"median"``, ``"ulnar"``, ``"peroneal"``, ``"tibial"``...);
        ``"fibular"`` is normalised to ``"peroneal"``.
    side : str
        ``"left"``, ``"right"`` or ``"unknown"``.
    muscle : str or None
        Recorded muscle (e.g. ``"APB"``, ``"ADM"``, ``"EDB"``, ``"AH"``).
    kind : str
        ``"motor"`` (CMAP sites, optionally an F-wave train) or ``"fwave"`` (F-wave train only).
    sites : tuple of Site
        Stimulation sites ordered distal → proximal; names unique.
    fwaves : Sweeps or None
        F-wave train recorded with distal stimulation (mV), or None.
    lff_hz, hff_hz : float or None, Hz
        Low-frequency (high-pass) and high-frequency (low-pass) filter settings.
    temperature_c : float or None, °C
        Limb temperature.
    polarity_flipped : bool
        True when the data were exported in display polarity (negative up) and flipped once at import.
    """

    nerve: str
    side: str = "unknown"
    muscle: str | None = None
    kind: str = "motor"
    sites: tuple[Site, ...] = ()
    fwaves: Sweeps | None = None
    lff_hz: float | None = None
    hff_hz: float | None = None
    temperature_c: float | None = None
    polarity_flipped: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.nerve, str) or not self.nerve.strip():
            raise ParameterError(f"Nerve.nerve: expected a non-empty string, got {self.nerve!r}")
        nerve = self.nerve.strip().lower()
        object.__setattr__(self, "nerve", NERVE_ALIASES.get(nerve, nerve))
        side = "unknown" if self.side is None else str(self.side).strip().lower()
        side = {"l": "left", "r": "right", "": "unknown"}.get(side, side)
        if side not in _SIDES:
            raise ParameterError(
                f"Nerve.side ({self.nerve}): invalid value {self.side!r}; valid: {list(_SIDES)}"
            )
        object.__setattr__(self, "side", side)
        if self.kind not in _KINDS:
            raise ParameterError(
                f"Nerve.kind ({self.nerve}): invalid value {self.kind!r}; valid: {list(_KINDS)}"
            )
        sites = tuple(self.sites)
        for i, s in enumerate(sites):
            if not isinstance(s, Site):
                raise ParameterError(
                    f"Nerve.sites[{i}] ({self.nerve}): expected a Site, got {type(s).__name__}"
                )
        names = [s.name for s in sites]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ParameterError(
                f"Nerve.sites ({self.nerve}): site names must be unique, repeated: {dupes}"
            )
        object.__setattr__(self, "sites", sites)
        if self.fwaves is not None and not isinstance(self.fwaves, Sweeps):
            raise ParameterError(
                f"Nerve.fwaves ({self.nerve}): expected Sweeps or None, got {type(self.fwaves).__name__}"
            )
        if self.kind == "fwave" and self.fwaves is None:
            raise ParameterError(f"Nerve.fwaves ({self.nerve}): kind 'fwave' needs an F-wave train")
        for fld in ("lff_hz", "hff_hz"):
            object.__setattr__(
                self,
                fld,
                _opt_float(getattr(self, fld), f"Nerve.{fld} ({self.nerve})", positive=True),
            )
        object.__setattr__(
            self,
            "temperature_c",
            _opt_float(self.temperature_c, f"Nerve.temperature_c ({self.nerve})"),
        )
        object.__setattr__(self, "polarity_flipped", bool(self.polarity_flipped))

    def __repr__(self) -> str:
        fw = "" if self.fwaves is None else f", fwaves={self.fwaves.n_sweeps} sweeps"
        return (
            f"Nerve({self.label!r}, kind={self.kind!r}, sites={[s.name for s in self.sites]!r}{fw})"
        )

    @property
    def label(self) -> str:
        """Readable identifier, e.g. ``"right median (APB)"``."""
        m = f" ({self.muscle})" if self.muscle else ""
        side = "" if self.side == "unknown" else f"{self.side} "
        return f"{side}{self.nerve}{m}"

    def site(self, name: str) -> Site:
        """The site called ``name``; :class:`ParameterError` listing valid names otherwise."""
        for s in self.sites:
            if s.name == name:
                return s
        raise ParameterError(
            f"site {name!r} not in {self.label}; sites: {[s.name for s in self.sites]}"
        )


@dataclass(frozen=True)
class Study:
    """A nerve conduction study of one subject.

    Attributes
    ----------
    nerves : tuple of Nerve
        Nerves recorded.
    subject_id : str
        Pseudonymous subject identifier (never a name).
    date : str or None
        Recording date, ISO 8601 (``"2026-11-25"``) when known.
    device : str or None
        Recording device / software.
    source : dict
        Provenance: file path and format, reader, conversions and flips applied.
    """

    nerves: tuple[Nerve, ...] = ()
    subject_id: str = "anonymous"
    date: str | None = None
    device: str | None = None
    source: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        nerves = tuple(self.nerves)
        for i, n in enumerate(nerves):
            if not isinstance(n, Nerve):
                raise ParameterError(f"Study.nerves[{i}]: expected a Nerve, got {type(n).__name__}")
        object.__setattr__(self, "nerves", nerves)
        if not isinstance(self.subject_id, str):
            raise ParameterError(f"Study.subject_id: expected a string, got {self.subject_id!r}")
        if self.date is not None and not isinstance(self.date, str):
            object.__setattr__(self, "date", str(self.date))
        if not isinstance(self.source, dict):
            raise ParameterError(f"Study.source: expected a dict, got {type(self.source).__name__}")
        object.__setattr__(self, "source", dict(self.source))

    def __repr__(self) -> str:
        labels = [n.label for n in self.nerves]
        shown = labels[:6] + (["..."] if len(labels) > 6 else [])
        return (
            f"Study(subject_id={self.subject_id!r}, date={self.date!r}, "
            f"{len(self.nerves)} nerves: {shown!r})"
        )
