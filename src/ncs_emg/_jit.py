"""The one place numba options are set.

``cache=True`` writes compiled machine code next to the package (or to ``NUMBA_CACHE_DIR``) so that
the second interpreter start does not recompile; ``nogil=True`` lets threads run kernels side by side;
``fastmath=False`` because fastmath lets LLVM assume no NaN, which breaks ``np.isnan`` checks.
Kernels compile lazily on first call (no eager signatures), so ``import ncs_emg`` stays fast.
"""

from __future__ import annotations

import numba

__all__ = ["jit", "jit_parallel", "prange"]

_OPTIONS = {"cache": True, "nogil": True, "fastmath": False, "error_model": "numpy"}

#: Decorator for serial kernels.
jit = numba.njit(**_OPTIONS)

prange = numba.prange


def jit_parallel(func):
    """Decorator for batch kernels over sweeps (``prange`` over rows, each iteration its own row)."""
    return numba.njit(parallel=True, **_OPTIONS)(func)
