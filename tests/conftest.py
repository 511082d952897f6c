"""Test configuration: a fresh numba cache per session so a stale cache cannot hide a bug."""

import os
import shutil
import tempfile

_cache = tempfile.mkdtemp(prefix="ncs_emg_numba_")
os.environ["NUMBA_CACHE_DIR"] = _cache  # before anything imports numba

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

# Property tests are reproducible by default (the same examples on every run, so CI cannot fail by
# chance); set NCS_EMG_HYPOTHESIS=explore to search new random examples (and raise max_examples in
# the test or a wrapper script when hunting bugs).
settings.register_profile("reproducible", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("NCS_EMG_HYPOTHESIS", "reproducible"))


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_cache, ignore_errors=True)


@pytest.fixture
def rng():
    import numpy as np

    return np.random.default_rng(12345)
