"""ncs_emg: electrodiagnostic signal processing for nerve conduction studies.

Reads CMAP and F-wave recordings (EDF/EDF+/BDF and a documented HDF5 format), measures them with numba
kernels, compares stimulation sites segment by segment, and evaluates published criteria.

ncs_emg is a research tool, not a certified medical device: every clinical output shows the rule,
threshold, value and source behind it.
"""

from __future__ import annotations

import logging

from ._version import __version__
from .analysis import NerveReport, StudyReport, analyze, analyze_nerve
from .cohort import (
    CohortSummary,
    Evidence,
    phenotype_evidence,
    simon2013_cohort,
    summarize_cohort,
    wilson_interval,
)
from .criteria import criteria_sets
from .eligibility import (
    ClinicalFindings,
    EligibilityReport,
    Score,
    ScoreResponse,
    assess_eligibility,
    clinical_from_dict,
    emrcss_score,
    nss_score,
    read_clinical,
    score_response,
)
from .errors import (
    FormatError,
    NcsEmgError,
    NcsEmgWarning,
    NotAvailableError,
    ParameterError,
    UnitError,
)
from .findings import Finding
from .fwave import (
    FWaveMeasures,
    FWaveParams,
    FWaveTrains,
    f_estimate_ms,
    f_ratio,
    measure_fwave_trains,
    measure_fwaves,
    measure_nerve_fwaves,
    neurophysiological_index,
)
from .io import read_study, write_study
from .io.values_csv import read_values_csv
from .measure import (
    CmapMeasures,
    CmapParams,
    OnsetMethod,
    SiteError,
    SiteMeasures,
    StudyMeasures,
    measure_cmap,
    measure_study,
    measure_sweeps,
    onset_methods,
)
from .simulate import (
    FWaveTruth,
    NerveTruth,
    RecordingConditions,
    SimulatedFWaves,
    SimulatedNerve,
    SimulatedStudy,
    simulate_fwave_train,
    simulate_nerve,
    simulate_study,
)
from .tables import to_dataframe
from .types import Nerve, Site, Study, Sweeps
from .viz import plot_criteria_matrix, plot_fwaves, plot_nerve, plot_segments

__all__ = [
    "__version__",
    # errors
    "NcsEmgError",
    "ParameterError",
    "FormatError",
    "UnitError",
    "NotAvailableError",
    "NcsEmgWarning",
    # recording model
    "Sweeps",
    "Site",
    "Nerve",
    "Study",
    # measurement
    "CmapMeasures",
    "CmapParams",
    "OnsetMethod",
    "SiteMeasures",
    "SiteError",
    "StudyMeasures",
    "measure_cmap",
    "measure_sweeps",
    "measure_study",
    "onset_methods",
    # simulation
    "RecordingConditions",
    "FWaveTruth",
    "SimulatedFWaves",
    "simulate_fwave_train",
    "NerveTruth",
    "SimulatedNerve",
    "simulate_nerve",
    "SimulatedStudy",
    "simulate_study",
    # F-waves
    "FWaveMeasures",
    "FWaveParams",
    "FWaveTrains",
    "measure_fwaves",
    "measure_fwave_trains",
    "measure_nerve_fwaves",
    "f_estimate_ms",
    "f_ratio",
    "neurophysiological_index",
    # tidy tables (pandas imported on the first call)
    "to_dataframe",
    # figures (matplotlib imported on the first call)
    "plot_nerve",
    "plot_segments",
    "plot_fwaves",
    "plot_criteria_matrix",
    # files
    "read_study",
    "write_study",
    "read_values_csv",
    # segment analysis and criteria
    "Finding",
    "NerveReport",
    "StudyReport",
    "analyze",
    "analyze_nerve",
    "criteria_sets",
    # eligibility (Simon et al. 2013)
    "ClinicalFindings",
    "EligibilityReport",
    "assess_eligibility",
    "clinical_from_dict",
    "read_clinical",
    "Score",
    "ScoreResponse",
    "emrcss_score",
    "nss_score",
    "score_response",
    # cohort statistics
    "CohortSummary",
    "Evidence",
    "summarize_cohort",
    "simon2013_cohort",
    "phenotype_evidence",
    "wilson_interval",
]

logging.getLogger(__name__).addHandler(logging.NullHandler())
