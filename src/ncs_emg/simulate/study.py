"""Whole simulated studies (several nerves, both sides, F-wave trains) for named clinical pictures."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ParameterError
from ..types import Study
from . import _core as C
from ._presets import PRESETS
from .conditions import RecordingConditions, resolve_conditions
from .nerve import exported_polarity, simulate_nerve

__all__ = ["STUDY_PRESETS", "StudyTruth", "SimulatedStudy", "simulate_study"]

#: Study presets: a description and per-nerve overrides of :func:`simulate_nerve` keyed by
#: ``(side, nerve)``; ``"*"`` applies to every nerve. Motor nerves only: the recording model has no
#: sensory nerve action potentials, so "normal sensory conduction" cannot be simulated, only stated.
STUDY_PRESETS: dict[str, dict[str, Any]] = {
    "normal": {
        "description": "Normal motor conduction in every nerve, both sides.",
        "nerves": {},
    },
    "mmn": {
        "description": (
            "Multifocal motor neuropathy picture: partial motor conduction block in a forearm segment "
            "(right ulnar 65 %, left median 50 %), normal elsewhere, no slowing outside the block. "
            "Sensory conduction would be normal; sensory nerves are not modelled by ncs_emg's types."
        ),
        "nerves": {
            ("right", "ulnar"): {"block_fraction": [0.0, 0.65, 0.0, 0.0]},
            ("left", "median"): {"block_fraction": [0.0, 0.5, 0.0]},
        },
    },
    "als": {
        "description": (
            "ALS / progressive muscular atrophy picture: motor-unit loss with reinnervation (fewer, "
            "larger, longer units), asymmetric: both arms affected (right worst), right leg affected, "
            "left leg relatively spared; low CMAP amplitudes (below the lower limit of normal in the "
            "affected nerves), mildly reduced CV from loss of the fastest axons, no block, more "
            "repeater F-waves."
        ),
        # distal amplitude ~ n_units x unit size (x 0.06 median, 0.05 ulnar, 0.055 peroneal, 0.09
        # tibial at the preset sizes): chosen so that the affected nerves sit at 20-60 % of the LLN
        # of ncs_emg.normative.DEFAULT_TABLE (median 4.1, ulnar 7.9, peroneal 1.3, tibial 4.4 mV)
        # with room for the sampling spread of a few large units; the left leg stays normal.
        "nerves": {
            ("right", "median"): {"n_units": 20, "size_factor": 2.5},
            ("right", "ulnar"): {"n_units": 25, "size_factor": 2.4},
            ("left", "median"): {"n_units": 22, "size_factor": 2.0},
            ("left", "ulnar"): {"n_units": 40, "size_factor": 2.3},
            ("right", "peroneal"): {"n_units": 5, "size_factor": 1.6},
            ("left", "peroneal"): {"n_units": 20, "size_factor": 1.8},
            ("right", "tibial"): {"n_units": 15, "size_factor": 1.8},
            ("left", "tibial"): {"n_units": 40, "size_factor": 1.7},
            "*": {
                "cv_shift_m_s": -3.0,
                "muap_duration_ms": (9.0, 12.0),
                "fwaves": {"n_repeaters": 4, "repeater_p": (0.15, 0.35)},
            },
        },
    },
    "cidp": {
        "description": (
            "CIDP picture: diffuse demyelinating slowing (55 % in every segment, roots included), "
            "pathological dispersion (extra CV SD 8 m/s per segment; terminal-delay SD 2.5 times "
            "normal), prolonged distal latencies (terminal delay doubled); no focal block."
        ),
        # Calibrated by measuring the presets (tests/test_simulate.py::test_cidp_preset_...): the
        # onset CV follows the fastest units, (CV + ~2.7 x 8.7 m/s) x (1 - slowing), so 35 % slowing
        # left it at ~86 % of the LLN; 55 % brings it below 80 % LLN in most nerves. The distal
        # latency is terminal delay + distance / CV of the fastest units: doubling the terminal delay
        # puts it above 125 % of the ULN. The terminal-delay SD is scaled too (the distal CMAP of a
        # demyelinating nerve is dispersed, not only late).
        "nerves": {
            "*": {
                "cv_slowing_pct": 55.0,
                "extra_cv_sd_m_s": 8.0,
                "terminal_delay_factor": 2.0,
                "terminal_delay_sd_factor": 2.5,
                "sweep_ms_factor": 1.5,
                "fwaves": {"root_slowing_pct": 55.0},
            },
        },
    },
}

_SIDES = ("right", "left")
#: simulate_nerve's default terminal-delay SD (ms), scaled by a preset's ``terminal_delay_sd_factor``.
TERMINAL_DELAY_SD_MS = 0.2
_NERVES = ("median", "ulnar", "peroneal", "tibial")


@dataclass(frozen=True, eq=False)
class StudyTruth:
    """Ground truth of a simulated study.

    Attributes
    ----------
    preset : str
        Study preset name.
    description : str
        What the preset simulates.
    nerves : tuple of NerveTruth
        One per nerve of the study, in the same order.
    parameters : tuple of dict
        The :func:`simulate_nerve` parameters of each nerve (JSON-ready).
    """

    preset: str
    description: str
    nerves: tuple
    parameters: tuple

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (no waveforms)."""
        return {
            "preset": self.preset,
            "description": self.description,
            "nerves": [
                {"parameters": p, "truth": t.to_dict()}
                for p, t in zip(self.parameters, self.nerves, strict=True)
            ],
        }


@dataclass(frozen=True, eq=False)
class SimulatedStudy:
    """A simulated study and its ground truth.

    Attributes
    ----------
    study : Study
        Eight motor nerves (median, ulnar, peroneal, tibial on both sides), each with an F-wave train.
    truth : StudyTruth
        Per-nerve truth (``truth.nerves[i]`` belongs to ``study.nerves[i]``).
    """

    study: Study
    truth: StudyTruth

    def to_dict(self) -> dict[str, Any]:
        """Truth as a JSON-ready dict."""
        return self.truth.to_dict()


def _nerve_kwargs(preset: dict, side: str, nerve: str) -> dict[str, Any]:
    base = PRESETS[nerve]
    o: dict[str, Any] = {}
    o.update(preset["nerves"].get("*", {}))
    o.update(preset["nerves"].get((side, nerve), {}))
    kw: dict[str, Any] = {"side": side}
    fw = dict(o.pop("fwaves", {}))
    if "size_factor" in o:
        kw["unit_size_mv"] = base.unit_size_mv * o.pop("size_factor")
    if "cv_shift_m_s" in o:
        kw["cv_mean_m_s"] = base.cv_mean_m_s + o.pop("cv_shift_m_s")
    if "terminal_delay_factor" in o:
        kw["terminal_delay_ms"] = base.terminal_delay_ms * o.pop("terminal_delay_factor")
    if "terminal_delay_sd_factor" in o:
        kw["terminal_delay_sd_ms"] = TERMINAL_DELAY_SD_MS * o.pop("terminal_delay_sd_factor")
    if "sweep_ms_factor" in o:
        f = o.pop("sweep_ms_factor")
        kw["sweep_ms"] = base.sweep_ms * f  # the F sweep lengthens itself to hold every F-wave
    kw.update(o)
    kw["fwaves"] = fw
    return kw


def simulate_study(
    preset: str = "normal",
    *,
    rng: Any = None,
    conditions: RecordingConditions | None = None,
    **recording: Any,
) -> SimulatedStudy:
    """Simulate a whole motor study: median, ulnar, peroneal and tibial nerves on both sides.

    Parameters
    ----------
    preset : {"normal", "mmn", "als", "cidp"}
        Clinical picture (:data:`STUDY_PRESETS` holds the exact parameters):

        * ``"normal"``: normal conduction everywhere.
        * ``"mmn"``: partial conduction block in a forearm segment (right ulnar, left median); sensory
          conduction would be normal, but sensory nerves are not modelled by ncs_emg's types, so the
          study holds motor nerves only.
        * ``"als"``: fewer, larger units (reinnervation), low amplitudes (below the LLN in both arms
          and the right leg; the left leg is relatively spared), asymmetric, no block.
        * ``"cidp"``: diffuse slowing (CV below 80 % of the LLN or distal latency above 125 % of the
          ULN in most nerves), temporal dispersion (proximal duration increase > 30 %), prolonged
          distal and F latencies.
    rng : None, int >= 0 or numpy.random.Generator
        Seed or generator; the same seed gives the same study.
    conditions : RecordingConditions or None
        Recording conditions of every nerve (default: :data:`~ncs_emg.simulate.DEFAULT_CONDITIONS`,
        10 µV RMS white noise).
    **recording
        :class:`~ncs_emg.simulate.RecordingConditions` fields by name, applied on top of ``conditions``.

    Returns
    -------
    SimulatedStudy
        ``.study`` (8 nerves with sites and F-wave trains, 20 stimuli each) and ``.truth``.

    Raises
    ------
    ParameterError
        For an unknown preset or an invalid ``rng`` (negative, float, string, bool).

    Examples
    --------
    >>> sim = simulate_study("mmn", rng=3)
    >>> [n.label for n in sim.study.nerves][:2]
    ['right median (APB)', 'right ulnar (ADM)']
    >>> sim.truth.nerves[1].segments[1].label, sim.truth.nerves[1].segments[1].block_fraction
    ('ulnar forearm', 0.65)
    """
    if not isinstance(preset, str) or preset not in STUDY_PRESETS:
        raise ParameterError(
            f"preset: invalid value {preset!r}; valid options: {sorted(STUDY_PRESETS)}"
        )
    spec = STUDY_PRESETS[preset]
    cond = resolve_conditions(conditions, recording)
    g = C.make_rng(rng)
    seeds = g.integers(0, 2**63 - 1, size=len(_SIDES) * len(_NERVES))
    nerves, truths, params = [], [], []
    i = 0
    for side in _SIDES:
        for name in _NERVES:
            kw = _nerve_kwargs(spec, side, name)
            sim = simulate_nerve(name, rng=int(seeds[i]), conditions=cond, **kw)
            i += 1
            nerves.append(sim.nerve)
            truths.append(sim.truth)
            params.append(sim.parameters)
    source = {
        "generator": "ncs_emg.simulate_study",
        "preset": preset,
        "seed": rng if isinstance(rng, (int, np.integer)) else None,
        "exported_polarity": exported_polarity(cond.display_polarity),
        "conditions": cond.to_dict(),
        "description": spec["description"],
    }
    study = Study(
        tuple(nerves),
        subject_id=f"simulated-{preset}",
        device="ncs_emg simulator",
        source=C.json_value(source),
    )
    truth = StudyTruth(preset, spec["description"], tuple(truths), tuple(params))
    return SimulatedStudy(study, truth)
