"""Property: any byte mutation of a valid study file reads as a study or raises the package's error.

Mutated copies of a valid ``.h5`` and a valid EDF+D file are read with :func:`ncs_emg.read_study`;
the outcome must be a :class:`~ncs_emg.Study` or an :class:`~ncs_emg.errors.NcsEmgError`, within a
time limit (pytest-timeout) and a memory limit (peak traced allocation).
"""

from __future__ import annotations

import tempfile
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ncs_emg
import reliability_corpus as corpus
from ncs_emg.errors import NcsEmgError

_DIR = Path(tempfile.mkdtemp(prefix="ncs_emg_fuzz_"))
_VALID = {
    ".h5": ncs_emg.write_study(corpus.small_study(), _DIR / "valid.h5").read_bytes(),
    ".edf": ncs_emg.write_study(corpus.small_study(), _DIR / "valid.edf").read_bytes(),
}
_MEMORY_LIMIT = 256 * 1024 * 1024  # bytes of traced allocation while reading a ~50 KB file


def _mutations(n: int):
    return st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, 255)), min_size=1, max_size=12)


def _read_mutated(ext: str, edits, truncate: int | None) -> None:
    b = bytearray(_VALID[ext])
    for pos, val in edits:
        b[pos] = val
    if truncate is not None:
        del b[truncate:]
    p = _DIR / f"m{ext}"
    p.write_bytes(bytes(b))
    tracemalloc.start()
    try:
        try:
            out = ncs_emg.read_study(p, sidecar=None) if ext == ".edf" else ncs_emg.read_study(p)
        except NcsEmgError:
            out = None
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert out is None or isinstance(out, ncs_emg.Study)
    assert peak < _MEMORY_LIMIT


_SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.timeout(240)
@_SETTINGS
@given(edits=_mutations(len(_VALID[".edf"])), truncate=st.none() | st.integers(0, 4000))
def test_edf_byte_mutations_give_a_study_or_a_package_error(edits, truncate):
    _read_mutated(".edf", edits, truncate)


@pytest.mark.timeout(240)
@_SETTINGS
@given(edits=_mutations(len(_VALID[".h5"])), truncate=st.none() | st.integers(0, 60000))
def test_h5_byte_mutations_give_a_study_or_a_package_error(edits, truncate):
    _read_mutated(".h5", edits, truncate)


@pytest.mark.timeout(120)
@_SETTINGS
@given(
    edits=st.lists(
        st.tuples(st.integers(0, 255), st.sampled_from(list(b"0123456789 .-+eE,\x00x"))),
        min_size=1,
        max_size=12,
    )
)
def test_edf_header_digit_mutations_give_a_study_or_a_package_error(edits):
    """Mutations aimed at the numeric header fields (counts, durations, ranges)."""
    n_sig_header = 256 + 2 * 256  # main header + two signals
    edits = [(256 + (pos * 37) % (n_sig_header - 256) if pos > 200 else 184 + pos % 72, v)
             for pos, v in edits]  # fmt: skip
    _read_mutated(".edf", edits, None)
