"""The parallel CMAP kernel under real threads and a real fork-based process pool.

Each scenario runs in a fresh interpreter: a regression (an abort of the workqueue layer, a hang of a
forked child under GNU OpenMP) must fail this test, not kill or hang the test session.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SRC = str(Path(__file__).resolve().parents[1] / "src")
TESTS = str(Path(__file__).resolve().parent)


def _run(code: str, timeout: float = 240.0) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([SRC, TESTS])}
    env.pop("NUMBA_THREADING_LAYER", None)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


PRELUDE = """
    import numpy as np
    import ncs_emg
    from waveforms import mu_sum
    rng = np.random.default_rng(0)
    X = np.stack([mu_sum(rng, noise_mv=0.01)[1] for _ in range(96)])  # >= 64 sweeps: parallel
    ref = ncs_emg.measure_cmap(X, 20000.0, t0_ms=-5.0)
"""


def test_threading_layer_is_chosen_explicitly():
    res = _run(
        """
        import numba
        from ncs_emg import _jit
        print(_jit.THREADING_LAYER, numba.config.THREADING_LAYER)
        """
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["workqueue", "workqueue"]


def test_concurrent_calls_from_threads_give_the_serial_results():
    res = _run(
        PRELUDE
        + """
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(4) as ex:
        outs = list(ex.map(lambda _: ncs_emg.measure_cmap(X, 20000.0, t0_ms=-5.0), range(16)))
    for m in outs:
        np.testing.assert_array_equal(m.neg_area_mv_ms, ref.neg_area_mv_ms)
        np.testing.assert_array_equal(m.onset_latency_ms, ref.onset_latency_ms)
    print("ok", len(outs))
    """
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip() == "ok 16"


def _child(seed):
    import numpy as np

    import ncs_emg
    from waveforms import mu_sum

    rng = np.random.default_rng(seed)
    X = np.stack([mu_sum(rng, noise_mv=0.01)[1] for _ in range(80)])
    return float(np.nansum(ncs_emg.measure_cmap(X, 20000.0, t0_ms=-5.0).neg_area_mv_ms))


@pytest.mark.skipif(sys.platform != "linux", reason="fork start method")
def test_fork_pool_after_the_parallel_kernel_ran():
    res = _run(
        PRELUDE
        + """
    import multiprocessing as mp
    from test_measure_parallel import _child
    with mp.get_context("fork").Pool(2) as pool:
        got = pool.map_async(_child, [1, 2, 3]).get(timeout=180)
    print("ok", len(got), all(np.isfinite(got)))
    """
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip() == "ok 3 True"


def test_process_context_is_not_fork():
    from ncs_emg._jit import process_context

    assert process_context().get_start_method() in ("forkserver", "spawn")
