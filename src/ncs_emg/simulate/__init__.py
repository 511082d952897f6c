"""Physiological simulator with ground truth (``domain.md`` section 8).

A CMAP is simulated as the sum of motor-unit action potentials (MUAPs): every unit has a conduction
velocity, a terminal delay, a size and a MUAP shape; its MUAP starts at the muscle at
``terminal delay + sum over segments of length / CV``. Blocks remove units, slowing and dispersion change
segment velocities, and a recording layer adds noise, mains hum, offset, drift, stimulus artefact and
saturation. Every result carries its ground truth.

Public functions: :func:`simulate_fwave_train` (more in the following modules).
"""

from __future__ import annotations

from .fwave import FWaveTruth, SimulatedFWaves, simulate_fwave_train

__all__ = ["FWaveTruth", "SimulatedFWaves", "simulate_fwave_train"]
