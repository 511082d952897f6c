"""Nerve presets of the simulator: sites, distances, segment labels and population defaults.

Distances follow ``docs/recording.md``: the first site's distance is stimulating cathode to active
recording electrode (70-80 mm in the arm); each further distance is the length of the segment to the
previous site. Values are typical adult figures chosen so that the simulated latencies, velocities and
amplitudes fall in the normal ranges of ``docs/normative.md`` (Buschbacher via the AANEM task force);
they are defaults for simulation, not normative data.

``cord_distance_mm`` is the conduction path from the distal stimulation site to the spinal cord (the
``D`` of Kimura's F-estimate, ``docs/fwaves.md``), chosen so that the simulated minimal F latencies
land near the normal means of Nobrega et al. 2004 (ulnar 26.5 ms, tibial 47.0 ms).

CV spread: arm SD 3.5 m/s (inside the 3-5 m/s of ``docs/simulation.md``). The leg presets use
SD 2.0 m/s: with 4 m/s over the ~2.3 m round trip to the cord the simulated tibial F chronodispersion
is about 13 ms, far above Nobrega's 5.5 +- 1.4 ms, while 2.0 m/s puts it in that range. The
literature states only that leg CVs are 5-8 m/s slower, not their spread; this calibration is ours
and is tested in test_simulate.py.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["NervePreset", "PRESETS"]


@dataclass(frozen=True)
class NervePreset:
    nerve: str
    muscle: str
    limb: str  # "arm" or "leg"
    sites: tuple[tuple[str, float, str], ...]  # (name, distance_mm, segment label), distal first
    default_sites: tuple[str, ...]
    n_units: int
    cv_mean_m_s: float
    cv_sd_m_s: float
    terminal_delay_ms: float
    unit_size_mv: float
    cord_distance_mm: float
    sweep_ms: float  # motor sweep after the stimulus
    fwave_sweep_ms: float


PRESETS: dict[str, NervePreset] = {
    "median": NervePreset(
        nerve="median",
        muscle="APB",
        limb="arm",
        sites=(
            ("wrist", 70.0, "median distal (wrist to APB)"),
            ("elbow", 230.0, "median forearm"),
            ("axilla", 110.0, "median upper arm"),
            ("Erb's point", 200.0, "median axilla to Erb's point"),
        ),
        default_sites=("wrist", "elbow", "axilla"),
        n_units=200,
        cv_mean_m_s=57.0,
        cv_sd_m_s=3.5,
        terminal_delay_ms=2.5,
        unit_size_mv=0.045,
        cord_distance_mm=760.0,
        sweep_ms=40.0,
        fwave_sweep_ms=50.0,
    ),
    "ulnar": NervePreset(
        nerve="ulnar",
        muscle="ADM",
        limb="arm",
        sites=(
            ("wrist", 70.0, "ulnar distal (wrist to ADM)"),
            ("below elbow", 220.0, "ulnar forearm"),
            ("above elbow", 100.0, "ulnar across elbow"),
            ("axilla", 100.0, "ulnar upper arm"),
            ("Erb's point", 200.0, "ulnar axilla to Erb's point"),
        ),
        default_sites=("wrist", "below elbow", "above elbow", "axilla"),
        n_units=200,
        cv_mean_m_s=58.0,
        cv_sd_m_s=3.5,
        terminal_delay_ms=1.7,
        unit_size_mv=0.048,
        cord_distance_mm=760.0,
        sweep_ms=40.0,
        fwave_sweep_ms=50.0,
    ),
    "peroneal": NervePreset(
        nerve="peroneal",
        muscle="EDB",
        limb="leg",
        sites=(
            ("ankle", 80.0, "peroneal distal (ankle to EDB)"),
            ("below fibular head", 300.0, "peroneal leg"),
            ("popliteal fossa", 100.0, "peroneal across fibular head"),
        ),
        default_sites=("ankle", "below fibular head", "popliteal fossa"),
        n_units=100,
        cv_mean_m_s=49.0,
        cv_sd_m_s=2.0,
        terminal_delay_ms=3.2,
        unit_size_mv=0.05,
        cord_distance_mm=1100.0,
        sweep_ms=50.0,
        fwave_sweep_ms=100.0,
    ),
    "tibial": NervePreset(
        nerve="tibial",
        muscle="AH",
        limb="leg",
        sites=(
            ("ankle", 100.0, "tibial distal (ankle to AH)"),
            ("popliteal fossa", 400.0, "tibial leg (ankle to knee)"),
        ),
        default_sites=("ankle", "popliteal fossa"),
        n_units=150,
        cv_mean_m_s=48.0,
        cv_sd_m_s=2.0,
        terminal_delay_ms=2.8,
        unit_size_mv=0.08,
        cord_distance_mm=1150.0,
        sweep_ms=50.0,
        fwave_sweep_ms=100.0,
    ),
}
