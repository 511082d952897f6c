"""A small process pool with a time limit per file and one retry for a worker that dies.

``concurrent.futures`` cannot stop one hanging task, so each worker is a ``multiprocessing``
process (``spawn`` context: numba's OpenMP layer is not fork-safe once a parallel kernel has run)
fed one task at a time over its own pipe. Tasks and results cross the pipe as JSON text, never pickle.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import signal
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any, Final

from ..errors import NcsEmgError
from .stages import error_row, process_file

__all__ = ["Task", "run_local", "MP_CONTEXT"]

#: multiprocessing start method of the local pool.
MP_CONTEXT: Final = "spawn"
_POLL_S = 0.5
_READY = b"ready"
_PREFETCH = 2  # tasks sent ahead to each worker, so it never waits for the parent between files


@dataclass(frozen=True)
class Task:
    """One input to process: manifest key, path, content hash (None if unreadable), stage name."""

    key: str
    path: str
    sha: str | None
    stage: str


def worker_main(conn: Connection) -> None:
    """Worker loop: receive a JSON task, answer with the JSON result; an empty message stops it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    conn.send_bytes(_READY)  # imports done: the time limit counts from the task, not the start-up
    while True:
        try:
            msg = conn.recv_bytes()
        except (EOFError, OSError):
            return
        if not msg:
            return
        t = json.loads(msg)
        res = process_file(t["path"], t["stage"], t["sha"])
        conn.send_bytes(json.dumps(res, allow_nan=False).encode())


@dataclass
class _Slot:
    proc: Any
    conn: Connection
    tasks: deque = field(default_factory=deque)  # sent to the worker; the first is running
    started: float = 0.0  # when the first task started (the time-limit clock)
    ready: bool = False

    @property
    def task(self) -> Task | None:
        return self.tasks[0] if self.tasks else None


class _Pool:
    def __init__(self, n: int, timeout_s: float, on_result: Callable[[Task, dict], None]):
        self.ctx = mp.get_context(MP_CONTEXT)
        self.n, self.timeout_s, self.on_result = n, timeout_s, on_result
        self.slots: list[_Slot] = []
        self.deaths: dict[str, int] = {}
        self.startup_deaths = 0

    def _spawn(self) -> _Slot:
        parent, child = self.ctx.Pipe(duplex=True)
        proc = self.ctx.Process(
            target=worker_main, args=(child,), daemon=True, name="ncs-emg-batch"
        )
        proc.start()
        child.close()
        return _Slot(proc, parent)

    def _replace(self, slot: _Slot, queue: deque) -> None:
        """Kill and replace a worker; the tasks queued behind its running one go back to the queue."""
        slot.conn.close()
        if slot.proc.is_alive():
            slot.proc.kill()
        slot.proc.join(5)
        queue.extendleft(reversed(list(slot.tasks)[1:]))
        self.slots[self.slots.index(slot)] = self._spawn()

    def _assign(self, slot: _Slot, task: Task) -> None:
        if not slot.tasks:
            slot.started = time.monotonic()
        slot.tasks.append(task)
        slot.conn.send_bytes(
            json.dumps({"path": task.path, "stage": task.stage, "sha": task.sha}).encode()
        )

    def _finish(self, slot: _Slot, res: dict) -> None:
        task = slot.tasks.popleft()
        slot.started = time.monotonic()  # the worker goes on with its next task now
        self.on_result(task, res)

    def _died(self, slot: _Slot, queue: deque) -> None:
        task = slot.task
        assert task is not None  # the caller handles a worker that died while starting
        code = slot.proc.exitcode
        self._replace(slot, queue)
        n = self.deaths[task.key] = self.deaths.get(task.key, 0) + 1
        if n < 2:  # retried once on a fresh worker
            queue.appendleft(task)
            return
        msg = f"the worker died twice on this file (exit code {code})"
        self.on_result(task, _error(task, "WorkerDied", msg))

    def _timed_out(self, slot: _Slot, queue: deque) -> None:
        if not slot.ready:  # the clock starts when the worker has started
            return
        task = slot.task
        assert task is not None  # the caller times out only a worker with a task
        self._replace(slot, queue)
        msg = f"no result within the time limit of {self.timeout_s:g} s; the worker was stopped"
        self.on_result(task, _error(task, "TimeLimitExceeded", msg))

    def _poll(self, queue: deque) -> None:
        watched = [s for s in self.slots if s.task is not None or not s.ready]
        now = time.monotonic()
        limits = [
            s.started + self.timeout_s - now for s in watched if s.task is not None and s.ready
        ]
        wait_s = min([_POLL_S] + [max(0.0, t) for t in limits])
        ready = set(wait([s.conn for s in watched] + [s.proc.sentinel for s in watched], wait_s))
        for s in watched:
            if s.conn in ready or s.proc.sentinel in ready:
                self._receive(s, queue)
            elif s.task is not None and time.monotonic() - s.started > self.timeout_s:
                self._timed_out(s, queue)

    def _receive(self, s: _Slot, queue: deque) -> None:
        try:
            if s.conn.poll():
                msg = s.conn.recv_bytes()
                if msg == _READY:
                    s.ready, s.started = True, time.monotonic()
                else:
                    self._finish(s, json.loads(msg))
                return
        except (EOFError, OSError):
            pass
        if s.proc.is_alive():
            return
        if s.task is None:  # died while starting up
            self.startup_deaths += 1
            if self.startup_deaths > 3:
                raise NcsEmgError(
                    f"batch: worker processes die while starting (exit code {s.proc.exitcode})"
                )
            self._replace(s, queue)
            return
        self._died(s, queue)

    def run(self, tasks: Iterator[Task]) -> None:
        queue: deque[Task] = deque()
        try:
            while True:
                for s in self.slots:
                    while len(s.tasks) < _PREFETCH:
                        t = queue.popleft() if queue else next(tasks, None)
                        if t is None:
                            break
                        self._assign(s, t)
                if len(self.slots) < self.n and (queue or self._peek(tasks, queue)):
                    self.slots.append(self._spawn())
                    continue
                if not any(s.task is not None for s in self.slots):
                    break
                self._poll(queue)
        finally:
            self.close()

    @staticmethod
    def _peek(tasks: Iterator[Task], queue: deque) -> bool:
        t = next(tasks, None)
        if t is None:
            return False
        queue.append(t)
        return True

    def close(self) -> None:
        for s in self.slots:
            try:
                s.conn.send_bytes(b"")
            except OSError:
                pass
        for s in self.slots:
            s.proc.join(2 if s.task is None else 0)
            if s.proc.is_alive():
                s.proc.kill()
                s.proc.join(5)
            s.conn.close()
        self.slots = []


def _error(task: Task, kind: str, message: str) -> dict[str, Any]:
    row = error_row(task.path, task.sha, task.stage, message, kind)
    return {"file": task.path, "sha256": task.sha, "status": "error", "error": row}


def run_local(
    tasks: Iterator[Task],
    on_result: Callable[[Task, dict], None],
    *,
    workers: int,
    timeout_s: float,
) -> None:
    """Run ``tasks`` on ``workers`` spawned processes, calling ``on_result(task, result)`` per file.

    A task without a result after ``timeout_s`` seconds becomes a ``TimeLimitExceeded`` error row
    (its worker is killed and replaced); a worker that dies is replaced and its file retried once,
    then a ``WorkerDied`` error row. On KeyboardInterrupt the workers are stopped and it propagates.
    """
    _Pool(workers, timeout_s, on_result).run(tasks)
