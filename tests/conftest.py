"""Test configuration: a fresh numba cache per session so a stale cache cannot hide a bug."""

import os
import shutil
import tempfile

_cache = tempfile.mkdtemp(prefix="ncs_emg_numba_")
os.environ["NUMBA_CACHE_DIR"] = _cache  # before anything imports numba

import pytest  # noqa: E402


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_cache, ignore_errors=True)


@pytest.fixture
def rng():
    import numpy as np

    return np.random.default_rng(12345)
