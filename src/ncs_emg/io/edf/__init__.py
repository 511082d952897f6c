"""EDF, EDF+ (continuous EDF+C and discontinuous EDF+D) and BDF: the format layer.

:func:`read_edf` returns an :class:`EdfRecording` (header, signals with physical data, annotations,
record onsets, issues); :func:`write_edf` writes EDF, EDF+C, EDF+D, BDF, BDF+C and BDF+D. This
subpackage knows nothing of nerves: the NCS convention (one EDF+D record per sweep, stimulus
annotations, sidecar) is :mod:`ncs_emg.io.edf_study`.

Modules: :mod:`.fields` (header fields), :mod:`.header` (main and signal headers), :mod:`.tal`
(annotation bytes), :mod:`.recording` (containers), :mod:`.reader`, :mod:`.writer`.
"""

from __future__ import annotations

from .fields import ANNOTATION_LABELS, edfplus_startdate, format_decimal
from .reader import read_edf
from .recording import EdfHeader, EdfRecording, EdfSignal
from .tal import Annotation, EdfIssue
from .writer import RecordPlan, write_edf, write_records

__all__ = [
    "EdfHeader",
    "EdfSignal",
    "EdfRecording",
    "Annotation",
    "EdfIssue",
    "read_edf",
    "write_edf",
    "write_records",
    "RecordPlan",
    "ANNOTATION_LABELS",
    "edfplus_startdate",
    "format_decimal",
]
