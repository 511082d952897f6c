"""Physiological simulator with ground truth (model and checks: ``docs/simulation.md``).

A CMAP is simulated as the sum of motor-unit action potentials (MUAPs): every unit has a conduction
velocity, a terminal delay, a size and a MUAP shape; its MUAP starts at the muscle at
``terminal delay + sum over segments of length / CV``. Blocks remove units, slowing and dispersion change
segment velocities, and a recording layer adds noise, mains hum, offset, drift, stimulus artefact and
saturation. Every result carries its ground truth.

Public functions: :func:`simulate_nerve`, :func:`simulate_fwave_train`, :func:`simulate_study`.
"""

from __future__ import annotations

from .conditions import DEFAULT_CONDITIONS, RecordingConditions
from .fwave import FWaveTruth, SimulatedFWaves, simulate_fwave_train
from .nerve import (
    DETECTABLE_LEVEL_MV,
    TRUTH_BAND_MV,
    NerveTruth,
    SegmentTruth,
    SimulatedNerve,
    SiteTruth,
    simulate_nerve,
)
from .study import STUDY_PRESETS, SimulatedStudy, StudyTruth, simulate_study

__all__ = [
    "DEFAULT_CONDITIONS",
    "RecordingConditions",
    "DETECTABLE_LEVEL_MV",
    "TRUTH_BAND_MV",
    "FWaveTruth",
    "SimulatedFWaves",
    "simulate_fwave_train",
    "NerveTruth",
    "SegmentTruth",
    "SimulatedNerve",
    "SiteTruth",
    "simulate_nerve",
    "STUDY_PRESETS",
    "SimulatedStudy",
    "StudyTruth",
    "simulate_study",
]
