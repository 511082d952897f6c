"""Recording conditions shared by the simulators: sampling, noise, hum, drift, artefact, clipping.

One frozen object, one source of defaults, for :func:`~ncs_emg.simulate_nerve`,
:func:`~ncs_emg.simulate_study` and :func:`~ncs_emg.simulate_fwave_train`. Each field carries its unit
and meaning as metadata (``RecordingConditions.describe()``); ``docs/simulation.md`` explains the model.

Noise is physical: by default white noise of ``noise_uv`` = 10 µV RMS, the same whatever the size of the
response (surface EMG amplifiers and electrode-skin interfaces give a few to ~20 µV RMS over a
10 kHz bandwidth). ``snr_db`` instead scales the noise to a reference amplitude of the response
(``noise SD = A / 10^(snr_db / 20)``), which is convenient for accuracy-versus-SNR studies but not how
recordings behave: a 0.3 mV ALS response then gets 100 times less noise than a 30 mV one.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, fields
from typing import Any

from .._validate import describe_fields, param_field
from ..errors import ParameterError
from . import _core as C

__all__ = ["RecordingConditions", "DEFAULT_CONDITIONS"]


@dataclass(frozen=True)
class RecordingConditions:
    """How a simulated response is recorded (time base and the realism layer).

    Attributes
    ----------
    sfreq_hz : float, Hz
        Sampling rate (20 000).
    pre_ms : float, ms
        Pre-trigger baseline; ``t0_ms = -pre_ms`` to the sample (5.0; 0 = the sweep starts at the
        stimulus, as many exports do).
    noise_uv : float, µV
        RMS of the white noise (10.0). Used unless ``snr_db`` is set; 0 = no noise.
    snr_db : float or None, dB
        When set, the noise SD is ``A / 10^(snr_db / 20)`` with ``A`` the simulator's reference
        amplitude (the distal CMAP of the whole population for nerves, the M-wave for F-wave trains);
        ``inf`` = no noise. None (default) = use ``noise_uv``.
    hum_mv : float, mV
        Peak amplitude of the mains hum, random phase per sweep (0.005).
    mains_hz : float, Hz
        Mains frequency, 50 or 60 (50).
    baseline_offset_mv : float, mV
        Constant DC offset (0).
    drift_mv_per_s : float, mV/s
        Linear baseline drift, 0 at the stimulus (0).
    artefact_mv : float, mV
        Stimulus artefact at t = 0 decaying as ``exp(-t / artefact_tau_ms)`` (1.0).
    artefact_tau_ms : float, ms
        Artefact time constant (0.3).
    clip_mv : float or None, mV
        Amplifier range: samples clipped to ``[-clip_mv, clip_mv]`` (None = no clipping).
    lff_hz : float or None, Hz
        Low-frequency filter: a first-order high-pass applied to the recorded sum (None = DC-coupled,
        the default). 2-20 Hz in clinical use; it leaves a slow tail after the response.
    resolution_uv : float, µV
        Quantisation step (0 = none): about 1 µV for a 16-bit amplifier over +-32 mV, 0.03 µV for
        24 bits over +-250 mV.
    display_polarity : bool
        Export the sweeps flipped (negative up); the truth keeps physical polarity (False).
    """

    sfreq_hz: float = param_field(20000.0, "Hz", "sampling rate")
    pre_ms: float = param_field(
        5.0, "ms", "pre-trigger baseline (0: the sweep starts at the stimulus)"
    )
    noise_uv: float = param_field(10.0, "µV", "white-noise RMS (used unless snr_db is set)")
    snr_db: float | None = param_field(
        None, "dB", "noise relative to the reference amplitude (overrides)"
    )
    hum_mv: float = param_field(0.005, "mV", "mains hum peak amplitude")
    mains_hz: float = param_field(50.0, "Hz", "mains frequency")
    baseline_offset_mv: float = param_field(0.0, "mV", "DC offset")
    drift_mv_per_s: float = param_field(0.0, "mV/s", "linear baseline drift (0 at the stimulus)")
    artefact_mv: float = param_field(1.0, "mV", "stimulus artefact amplitude at t = 0")
    artefact_tau_ms: float = param_field(0.3, "ms", "artefact decay time constant")
    clip_mv: float | None = param_field(
        None, "mV", "amplifier range for clipping (None: no clipping)"
    )
    lff_hz: float | None = param_field(None, "Hz", "first-order high-pass (None: DC-coupled)")
    resolution_uv: float = param_field(0.0, "µV", "quantisation step (0: none)")
    display_polarity: bool = param_field(False, "", "export flipped (negative up)")

    def __post_init__(self) -> None:
        fs = C.check_real(self.sfreq_hz, "sfreq_hz", lo=0.0, lo_open=True)
        vals: dict[str, Any] = {
            "sfreq_hz": fs,
            "pre_ms": C.check_real(self.pre_ms, "pre_ms", lo=0.0),
            "noise_uv": C.check_real(self.noise_uv, "noise_uv", lo=0.0),
            "snr_db": None if self.snr_db is None else C.check_snr_db(self.snr_db),
        }
        vals.update(
            C.recording_kwargs(
                hum_mv=self.hum_mv,
                mains_hz=self.mains_hz,
                baseline_offset_mv=self.baseline_offset_mv,
                drift_mv_per_s=self.drift_mv_per_s,
                artefact_mv=self.artefact_mv,
                artefact_tau_ms=self.artefact_tau_ms,
                clip_mv=self.clip_mv,
            )
        )
        vals["lff_hz"] = (
            None
            if self.lff_hz is None
            else C.check_real(self.lff_hz, "lff_hz", lo=0.0, lo_open=True)
        )
        vals["resolution_uv"] = C.check_real(self.resolution_uv, "resolution_uv", lo=0.0)
        if not isinstance(self.display_polarity, bool):
            raise ParameterError(
                f"display_polarity: expected True or False, got {self.display_polarity!r}"
            )
        for k, v in vals.items():
            object.__setattr__(self, k, v)

    def replace(self, **changes: Any) -> RecordingConditions:
        """A copy with ``changes`` applied (unknown names raise ParameterError listing valid ones)."""
        names = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise ParameterError(
                f"unknown recording condition(s) {unknown}; valid: {sorted(names)}"
            )
        return dataclasses.replace(self, **changes)

    def noise_mv(self, reference_amp_mv: float) -> float:
        """White-noise SD (mV): ``noise_uv / 1000``, or from ``snr_db`` and the reference amplitude."""
        if self.snr_db is None:
            return self.noise_uv / 1000.0
        return C.noise_sd_mv(reference_amp_mv, self.snr_db)

    def realism(self) -> C.Realism:
        """The realism layer of ``_core.add_recording`` (noise excluded)."""
        return C.Realism(
            hum_mv=self.hum_mv,
            mains_hz=self.mains_hz,
            baseline_offset_mv=self.baseline_offset_mv,
            drift_mv_per_s=self.drift_mv_per_s,
            artefact_mv=self.artefact_mv,
            artefact_tau_ms=self.artefact_tau_ms,
            clip_mv=self.clip_mv,
            lff_hz=self.lff_hz,
            resolution_uv=self.resolution_uv,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (inf → None)."""
        return C.json_value({f.name: getattr(self, f.name) for f in fields(self)})

    @classmethod
    def describe(cls) -> list[dict[str, Any]]:
        """One row per field: name, default, unit, meaning."""
        return describe_fields(cls)


#: The default recording conditions.
DEFAULT_CONDITIONS = RecordingConditions()


def resolve_conditions(
    conditions: RecordingConditions | None, overrides: dict[str, Any]
) -> RecordingConditions:
    """``conditions`` (default :data:`DEFAULT_CONDITIONS`) with keyword ``overrides`` applied."""
    if conditions is None:
        conditions = DEFAULT_CONDITIONS
    elif not isinstance(conditions, RecordingConditions):
        raise ParameterError(
            f"conditions: expected a RecordingConditions or None, got {type(conditions).__name__}"
        )
    return conditions.replace(**overrides) if overrides else conditions


def snr_db_of(reference_amp_mv: float, noise_mv: float) -> float:
    """``20 log10(reference / noise)`` in dB (inf without noise, -inf without a response)."""
    if noise_mv <= 0.0:
        return math.inf
    if reference_amp_mv <= 0.0:
        return -math.inf
    return 20.0 * math.log10(reference_amp_mv / noise_mv)
