"""The README's API snippet runs as written (its output file redirected to a temporary folder)."""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_api_snippet_runs(tmp_path, capsys):
    text = (ROOT / "README.md").read_text()
    code = re.search(r"## The API in ten lines\n\n```python\n(.*?)```", text, re.S).group(1)
    assert len(code.strip().splitlines()) <= 12
    code = code.replace('"copy.edf"', repr(str(tmp_path / "copy.edf")))
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        exec(compile(code, "README.md", "exec"), {})
    finally:
        os.chdir(cwd)
    assert (tmp_path / "copy.edf").stat().st_size > 0
    assert capsys.readouterr().out.count("\n") == 2


def test_readme_quick_start_names_a_shipped_fixture():
    text = (ROOT / "README.md").read_text()
    cmd = re.search(r"ncs-emg analyze (\S+)", text).group(1)
    assert (ROOT / cmd).is_file()


def test_ci_runs_the_readme_test_command():
    """The README's second Quick-start command is what CI runs (verbatim, as its last step)."""
    text = (ROOT / "README.md").read_text()
    block = re.search(r"# 2\. install and run the tests\n(.+)\n", text).group(1).strip()
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()
    assert ci[-1].strip() == block
