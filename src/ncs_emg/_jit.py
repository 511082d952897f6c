"""The one place numba options are set: compilation options, the threading layer and its guard.

Compilation: ``cache=True`` writes compiled machine code next to the package (or to
``NUMBA_CACHE_DIR``) so that the second interpreter start does not recompile; ``nogil=True`` lets
threads run the serial kernels side by side; ``fastmath=False`` because fastmath lets LLVM assume no
NaN, which breaks ``np.isnan`` checks. Kernels compile lazily on first call (no eager signatures), so
``import ncs_emg`` stays fast and a parallel kernel is compiled only when a call needs it.
``no_cfunc_wrapper=True``: no C-callable wrapper per compiled function (nothing here uses kernels as
first-class function pointers), and :data:`jit_internal` helpers, which only other kernels call, get
no Python wrapper either; both only shorten the first (compiling) run, about 5 % each for the CMAP
kernel (``benchmarks/bench_first_run.py``). Results do not depend on them.

Threading layer (for the ``parallel=True`` batch kernels). numba picks the first available of tbb,
omp, workqueue unless told otherwise. With GNU OpenMP (``omp``), a ``fork``-based process pool started
after a parallel kernel ran hangs ("fork() called from a process already using GNU OpenMP"); with
``workqueue``, parallel calls from several threads at once abort the process. ncs_emg therefore
chooses explicitly: ``NUMBA_THREADING_LAYER`` when the user set it, otherwise ``workqueue``, which is
always installed and safe under ``fork``; and it guards it: :func:`parallel_slot` lets one thread at a
time into a parallel kernel (the others run the serial kernel, which is thread-safe and releases the
GIL), so concurrent calls from threads neither abort nor wait. Process pools of ncs_emg use the
``spawn`` or ``forkserver`` start method (:func:`process_context`), safe whatever the layer.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numba

__all__ = [
    "jit",
    "jit_parallel",
    "jit_internal",
    "prange",
    "THREADING_LAYER",
    "parallel_slot",
    "process_context",
    "kernels_cached",
]

_OPTIONS: dict[str, Any] = {
    "cache": True,
    "nogil": True,
    "fastmath": False,
    "error_model": "numpy",
    "no_cfunc_wrapper": True,
}

#: The numba threading layer used by the parallel kernels.
THREADING_LAYER = os.environ.get("NUMBA_THREADING_LAYER") or "workqueue"
numba.config.THREADING_LAYER = THREADING_LAYER  # type: ignore[attr-defined,unused-ignore]
#: Layers that run parallel kernels from several threads at once (workqueue does not).
_THREAD_SAFE_LAYERS = ("tbb", "omp", "threadsafe")
_PARALLEL_LOCK = threading.Lock()

#: Decorator for serial kernels.
jit = numba.njit(**_OPTIONS)

#: Decorator for helpers that only other kernels call (never Python): no Python wrapper is built.
jit_internal = numba.njit(**{**_OPTIONS, "no_cpython_wrapper": True})

prange = numba.prange


def jit_parallel(func: Callable[..., Any]) -> Any:
    """Decorator for batch kernels over sweeps (``prange`` over rows, each iteration its own row)."""
    return numba.njit(parallel=True, **_OPTIONS)(func)


@contextmanager
def parallel_slot() -> Iterator[bool]:
    """``with parallel_slot() as ok:`` — ``ok`` is True when this thread may run a parallel kernel
    now; False when another thread is inside one and the layer cannot run two (then call the serial
    kernel: same results, no abort, no waiting)."""
    if THREADING_LAYER in _THREAD_SAFE_LAYERS:
        yield True
        return
    got = _PARALLEL_LOCK.acquire(blocking=False)
    try:
        yield got
    finally:
        if got:
            _PARALLEL_LOCK.release()


def process_context() -> Any:
    """The multiprocessing context for process pools of ncs_emg: ``forkserver`` on Linux (fast,
    safe after a parallel kernel ran), ``spawn`` elsewhere."""
    method = "forkserver" if sys.platform.startswith("linux") else "spawn"
    return multiprocessing.get_context(method)


def kernels_cached(*dispatchers: Any) -> bool:
    """True when every dispatcher has compiled code in numba's cache for its current source (so the
    next call loads instead of compiling). Uses numba's cache index; False when it cannot tell."""
    try:
        return all(bool(d._cache._cache_file._load_index()) for d in dispatchers)
    except Exception:  # numba internals differ: report "not cached" (only a notice depends on it)
        return False
