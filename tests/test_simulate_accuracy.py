"""The "Measurement accuracy" section of benchmarks/README.md matches what benchmarks/accuracy.py
computes now: the 40 and 30 dB cells of every 20 kHz row of every table, the targets table and the
noise-free gap summary are recomputed with the same seeds and compared as text (``python
benchmarks/accuracy.py --check benchmarks/README.md`` compares all four SNR columns)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def acc():
    spec = importlib.util.spec_from_file_location("accuracy", ROOT / "benchmarks" / "accuracy.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_readme_accuracy_tables_match_the_code(acc):
    text = (ROOT / "benchmarks" / "README.md").read_text(encoding="utf-8")
    res = acc.check_run(snrs=(40.0, 30.0))
    assert acc.check(text, res) == []
    # the comparison can fail: one changed digit in one cell, or a missing row, is reported
    row = "| normal | 20 | "
    i = text.index(row, text.index("## Measurement accuracy"))
    j = text.index("\n", i)
    cells = text[i:j].split(" | ")
    cells[2] = "+9.999 / 9.999"
    tampered = text[:i] + " | ".join(cells) + text[j:]
    diffs = acc.check(tampered, res)
    assert len(diffs) == 1 and "normal" in diffs[0] and "9.999" in diffs[0]
    assert acc.check(text.replace("## Measurement accuracy", "## Other"), res)  # section gone
