"""Run the Examples sections of every public module's docstrings as doctests."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import ncs_emg

_SKIP = {"ncs_emg.__main__"}  # runs the CLI on import
MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(ncs_emg.__path__, prefix="ncs_emg.")
    if m.name not in _SKIP
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    mod = importlib.import_module(name)
    res = doctest.testmod(
        mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    assert res.failed == 0, f"{res.failed} doctest(s) failed in {name}"
