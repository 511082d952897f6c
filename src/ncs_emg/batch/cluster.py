"""The same batch tasks on a ``dask.distributed`` cluster (optional extra ``dask``).

Workers read the files by path (the cluster must see the same file system) and return the result as
JSON text. A bounded window of tasks is in flight and results stream back one file at a time through
``distributed.as_completed``, so the parent holds neither every future nor every result.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from itertools import islice
from typing import Any

from ..errors import NotAvailableError, ParameterError
from .local import Task
from .stages import error_row, process_file

__all__ = ["run_dask", "process_file_json"]


def process_file_json(path: str, stage: str, sha: str | None) -> str:
    """:func:`~ncs_emg.batch.stages.process_file` with its result as JSON text (what a worker returns)."""
    return json.dumps(process_file(path, stage, sha), allow_nan=False)


def _client(scheduler: Any) -> Any:
    try:
        from distributed import Client
    except ImportError as exc:
        raise NotAvailableError(
            "scheduler: dask.distributed is not installed (pip install 'ncs_emg[dask]')"
        ) from exc
    if isinstance(scheduler, Client):
        return scheduler, False
    address = getattr(scheduler, "scheduler_address", scheduler)  # a cluster object or an address
    if not isinstance(address, str):
        raise ParameterError(
            f"scheduler: expected an address such as 'tcp://host:8786', a distributed.Client or a "
            f"cluster, got {type(scheduler).__name__}"
        )
    try:
        return Client(address, timeout="20s", set_as_default=False), True
    except OSError as exc:
        raise ParameterError(f"scheduler: cannot connect to {address!r} ({exc})") from exc


def run_dask(
    tasks: Iterator[Task],
    on_result: Callable[[Task, dict], None],
    *,
    scheduler: Any,
    window: int | None = None,
) -> None:
    """Run ``tasks`` on a Dask cluster, calling ``on_result(task, result)`` as each file finishes.

    Parameters
    ----------
    tasks : iterator of Task
        Files to process.
    on_result : callable
        Called in this process, once per file, in completion order.
    scheduler : str, distributed.Client or cluster
        Scheduler address (``"tcp://host:8786"``), a connected client, or a cluster object.
    window : int, optional
        Tasks in flight at once (default: 4 per worker thread, at least 8).

    Notes
    -----
    A worker that dies is handled by ``distributed`` (its tasks are rescheduled; after the cluster's
    ``allowed-failures`` the task fails with ``KilledWorker``, which becomes an error row). The local
    pool's per-file time limit is not enforced here: a hung task keeps its worker thread.
    """
    from distributed import as_completed

    client, own = _client(scheduler)
    try:
        n = window or max(8, 4 * sum(client.nthreads().values()))
        run_id = uuid.uuid4().hex[:8]
        inflight: dict[str, tuple[Task, Any]] = {}

        def submit(t: Task) -> Any:
            f = client.submit(
                process_file_json,
                t.path,
                t.stage,
                t.sha,
                key=f"ncs-emg-{run_id}-{t.key}",
                pure=False,
            )
            inflight[f.key] = (t, f)
            return f

        ac = as_completed([submit(t) for t in islice(tasks, n)], loop=client.loop)
        for fut in ac:
            task, _ = inflight.pop(fut.key)
            on_result(task, _result(fut, task))
            fut.release()
            nxt = next(tasks, None)
            if nxt is not None:
                ac.add(submit(nxt))
    except BaseException:  # Ctrl-C or an error in on_result: drop what is still queued
        client.cancel([f for _, f in inflight.values()])
        raise
    finally:
        if own:
            client.close()


def _result(fut: Any, task: Task) -> dict[str, Any]:
    try:
        return json.loads(fut.result())
    except Exception as exc:  # KilledWorker, a lost connection...: this file's error row
        row = error_row(task.path, task.sha, task.stage, exc)
        return {"file": task.path, "sha256": task.sha, "status": "error", "error": row}
