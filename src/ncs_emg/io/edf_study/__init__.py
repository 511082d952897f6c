"""The NCS convention on top of EDF: stimulus texts, sidecar, sweep cutting, reading and writing a study.

:func:`read_edf_study` maps an EDF/EDF+/BDF file to a :class:`~ncs_emg.types.Study`;
:func:`write_edf_study` writes a study as EDF+D/BDF+D. Modules: :mod:`.stimulus` (stimulus phrasing
and ``<EDF_XMLnote>``), :mod:`.sidecar`, :mod:`.labels` (anatomy table), :mod:`.cutting` (sweeps
from records or windows), :mod:`.reader`, :mod:`.writer`. ``docs/edf.md`` documents the convention.
"""

from __future__ import annotations

from .labels import LabelInfo, infer_from_label
from .reader import STUDY_NOTE_FORMAT, read_edf_study
from .sidecar import SIDECAR_KEYS, load_sidecar
from .stimulus import parse_stimulus, parse_stimulus_text, parse_xml_note
from .writer import write_edf_study

__all__ = [
    "read_edf_study",
    "write_edf_study",
    "load_sidecar",
    "SIDECAR_KEYS",
    "STUDY_NOTE_FORMAT",
    "parse_stimulus",
    "parse_stimulus_text",
    "parse_xml_note",
    "infer_from_label",
    "LabelInfo",
]
