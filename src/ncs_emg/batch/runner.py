"""``run``: many study files → tidy tables, resumable, on a local process pool or a Dask cluster."""

from __future__ import annotations

import glob
import json
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import FormatError, ParameterError
from .local import Task, run_local
from .manifest import Manifest, ManifestEntry, hash_file, path_key
from .outputs import FORMATS, write_json_atomic, write_tables
from .progress import LogProgress, Progress
from .stages import (
    ERROR_COLUMNS,
    STAGES,
    TABLE_COLUMNS,
    error_row,
    resolve_stage,
    stage_parameters,
)

__all__ = ["BatchResult", "expand_inputs", "run", "STUDY_SUFFIXES"]

logger = logging.getLogger("ncs_emg.batch")

#: File name endings taken from a folder (other files in a folder are not study inputs).
STUDY_SUFFIXES: tuple[str, ...] = (".h5", ".hdf5", ".edf", ".bdf")


@dataclass(frozen=True)
class BatchResult:
    """What a batch run did.

    Attributes
    ----------
    out_dir : Path
        Output folder (tables, ``manifest.jsonl``, ``parts/``).
    n_inputs : int
        Input files found.
    n_processed : int
        Files processed in this run (ok or error).
    n_skipped : int
        Files already done in an earlier run (same content hash), or repeated content.
    n_errors : int
        Files of this run that gave an error row.
    tables : dict of str to Path
        Table name → file (``errors`` included).
    interrupted : bool
        The run was stopped (Ctrl-C) before every file was done.
    """

    out_dir: Path
    n_inputs: int
    n_processed: int
    n_skipped: int
    n_errors: int
    tables: dict[str, Path] = field(default_factory=dict)
    interrupted: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (paths as strings)."""
        return {
            "out_dir": str(self.out_dir),
            "n_inputs": self.n_inputs,
            "n_processed": self.n_processed,
            "n_skipped": self.n_skipped,
            "n_errors": self.n_errors,
            "tables": {k: str(v) for k, v in self.tables.items()},
            "interrupted": self.interrupted,
        }


def _from_dir(d: Path, skip: Path | None) -> Iterator[Path]:
    for root, dirs, files in os.walk(d):
        r = Path(root)
        if skip is not None and r.resolve() == skip:
            dirs[:] = []
            continue
        keep = []
        for name in sorted(dirs):
            if name.startswith("."):
                continue
            if name.lower().endswith(STUDY_SUFFIXES):  # a folder named like a study: an error row
                yield r / name
            else:
                keep.append(name)
        dirs[:] = keep
        for name in sorted(files):
            if not name.startswith(".") and name.lower().endswith(STUDY_SUFFIXES):
                yield r / name


def expand_inputs(
    inputs: Iterable[str | os.PathLike] | str | os.PathLike,
    *,
    exclude: str | os.PathLike | None = None,
) -> list[Path]:
    """Input files from folders (recursively, study suffixes only), glob patterns and plain paths.

    A plain path is kept even when it does not exist (it becomes an error row). ``exclude`` is a
    folder to leave out (the output folder). Order: sorted, duplicates removed.
    """
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    skip = Path(exclude).resolve() if exclude is not None else None
    found: list[Path] = []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            found.extend(_from_dir(p, skip))
        elif glob.has_magic(str(item)):
            found.extend(Path(g) for g in sorted(glob.glob(str(item), recursive=True)))
        else:
            found.append(p)
    return sorted(dict.fromkeys(found), key=str)


def _tasks(
    paths: list[Path],
    man: Manifest,
    stage: str,
    *,
    retry_failed: bool,
    progress: Progress,
    on_result: Callable[[Task, dict], None],
) -> Iterator[Task]:
    """Hash each input lazily; skip what is done; unreadable inputs become error rows at once."""
    seen: set[str] = set()
    for p in paths:
        try:
            key = sha = hash_file(p)
        except FormatError as exc:
            key, sha = path_key(p), None
            if not man.is_done(key, retry_failed=retry_failed):
                t = Task(key, str(p), None, stage)
                on_result(t, {"file": str(p), "sha256": None, "status": "error",
                              "error": error_row(str(p), None, "input", exc)})  # fmt: skip
                continue
        if key in seen or man.is_done(key, retry_failed=retry_failed):
            seen.add(key)
            progress.skip()
            continue
        seen.add(key)
        yield Task(key, str(p), sha, stage)


def run(
    inputs: Iterable[str | os.PathLike] | str | os.PathLike,
    out: str | os.PathLike,
    *,
    workers: int | None = None,
    scheduler: Any = None,
    stage: str = "analyze",
    fmt: str = "parquet",
    retry_failed: bool = False,
    timeout_s: float = 600.0,
    progress: Progress | None = None,
) -> BatchResult:
    """Process many study files into tidy tables, resumably.

    Parameters
    ----------
    inputs : path, glob pattern, folder, or a list of them
        Study files (folders are searched recursively for .h5/.hdf5/.edf/.bdf files and for
        folders named like one).
    out : path
        Output folder (created): one table file per table, ``errors`` among them, plus
        ``manifest.jsonl`` and ``parts/`` (one JSON result per input content).
    workers : int, optional
        Local worker processes (default: the number of CPUs). Ignored with ``scheduler``.
    scheduler : str, distributed.Client or cluster, optional
        Run on this Dask cluster instead (``"tcp://host:8786"``); workers read the files by path.
    stage : str
        ``"analyze"`` (sites, segments, findings, summaries), ``"measure"`` (CMAP sweeps and F-wave
        trains), or ``"package.module:function"`` (path → {table: rows}).
    fmt : {"parquet", "csv", "jsonl"}
        Table format (Parquet needs pyarrow).
    retry_failed : bool
        Redo inputs that gave an error row in an earlier run (done ones are always skipped).
    timeout_s : float, s
        Per-file time limit of the local pool (a file without result by then is an error row).
    progress : Progress, optional
        Progress display (default: log lines on the ``ncs_emg.batch`` logger).

    Returns
    -------
    BatchResult

    Raises
    ------
    ParameterError
        For a bad argument, or an output folder holding another stage's results.
    KeyboardInterrupt
        After Ctrl-C, once the finished files are in the manifest and the tables are written.
    """
    workers, timeout_s = _check(stage, fmt, workers, timeout_s)
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    from .._version import __version__

    params = json.loads(json.dumps(stage_parameters(stage), default=str))
    man = Manifest(out_dir, {"stage": stage, "parameters": params, "ncs_emg_version": __version__})
    man.load().open()
    progress = progress or LogProgress()
    paths = expand_inputs(inputs, exclude=out_dir)
    progress.found(len(paths))
    counts = {"done": 0, "errors": 0}

    def on_result(task: Task, res: dict) -> None:
        part = f"{task.key}.json"
        write_json_atomic(man.parts / part, res)
        man.record(ManifestEntry(task.key, task.path, res["status"], part))
        counts["done"] += 1
        counts["errors"] += res["status"] == "error"
        progress.update(res["status"], task.path, res.get("error", {}).get("message", ""))

    tasks = _tasks(
        paths, man, stage, retry_failed=retry_failed, progress=progress, on_result=on_result
    )
    interrupted = False
    try:
        if scheduler is not None:
            from .cluster import run_dask

            run_dask(tasks, on_result, scheduler=scheduler)
        else:
            run_local(tasks, on_result, workers=workers, timeout_s=timeout_s)
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        man.close()
        progress.close()
        meta = {
            "ncs_emg_version": __version__,
            "ncs_emg_stage": stage,
            "ncs_emg_parameters": params,
        }
        known = {**TABLE_COLUMNS.get(stage, {}), "errors": ERROR_COLUMNS}
        tables = write_tables(man.part_paths(), out_dir, known, fmt=fmt, metadata=meta)
        logger.info(
            "batch: tables written to %s%s", out_dir, " (interrupted)" if interrupted else ""
        )
    return BatchResult(
        out_dir, len(paths), counts["done"], progress.skipped, counts["errors"], tables, interrupted
    )


def _check(stage: Any, fmt: Any, workers: Any, timeout_s: Any) -> tuple[int, float]:
    if stage not in STAGES:
        resolve_stage(stage)  # a custom stage must import here too
    if fmt not in FORMATS:
        raise ParameterError(f"fmt: invalid value {fmt!r}; valid: {list(FORMATS)}")
    if workers is None:
        workers = os.cpu_count() or 1
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ParameterError(f"workers: expected an integer >= 1, got {workers!r}")
    if isinstance(timeout_s, bool) or not isinstance(timeout_s, (int, float)) or not timeout_s > 0:
        raise ParameterError(f"timeout_s: expected a number of seconds > 0, got {timeout_s!r}")
    return workers, float(timeout_s)
