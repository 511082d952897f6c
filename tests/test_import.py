"""`import ncs_emg` stays light: no numba, matplotlib, h5py, scipy.stats or dask (checked in a fresh process)."""

from __future__ import annotations

import json
import subprocess
import sys


def test_import_does_not_load_heavy_modules():
    code = (
        "import sys, json; import ncs_emg; "
        "print(json.dumps([m for m in ('numba', 'matplotlib', 'h5py', 'scipy.stats', 'dask', 'scipy') "
        "if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_public_api_is_exported():
    import ncs_emg

    for name in ncs_emg.__all__:
        assert hasattr(ncs_emg, name), name
    assert issubclass(ncs_emg.FormatError, ncs_emg.NcsEmgError)
    assert issubclass(ncs_emg.FormatError, ValueError)
    assert issubclass(ncs_emg.NcsEmgWarning, UserWarning)
