"""Batch processing of many study files into tidy tables (local process pool or Dask).

``ncs_emg.batch.run(inputs, out, stage="analyze")`` reads every file, runs the stage, and writes one
table per kind of row (sites, segments, findings... and ``errors``: one row per file that gave no
result). Runs are resumable: a manifest keyed by each file's content hash records what is done.
See ``docs/batch.md``.
"""

from __future__ import annotations

from .manifest import Manifest, ManifestEntry, hash_file
from .outputs import FORMATS, write_tables
from .progress import LogProgress, Progress, ProgressBar, auto_progress
from .runner import STUDY_SUFFIXES, BatchResult, expand_inputs, run
from .stages import ERROR_COLUMNS, STAGES, TABLE_COLUMNS, process_file, resolve_stage

__all__ = [
    "run",
    "BatchResult",
    "expand_inputs",
    "STAGES",
    "TABLE_COLUMNS",
    "ERROR_COLUMNS",
    "FORMATS",
    "STUDY_SUFFIXES",
    "process_file",
    "resolve_stage",
    "write_tables",
    "hash_file",
    "Manifest",
    "ManifestEntry",
    "Progress",
    "ProgressBar",
    "LogProgress",
    "auto_progress",
]
