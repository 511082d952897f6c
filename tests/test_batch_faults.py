"""Batch faults with real processes: a hanging file, a dying worker, Ctrl-C in the middle."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from ncs_emg.batch import run
from ncs_emg.batch.manifest import MANIFEST_NAME

TESTS = Path(__file__).resolve().parent
SRC = TESTS.parent / "src"
STAGE = "batch_stages:by_name"


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def files(d: Path, names: list[str]) -> Path:
    d.mkdir()
    for n in names:
        (d / n).write_text(f"content of {n}\n")
    return d


def test_hang_is_an_error_row_and_a_dead_worker_is_retried_once(tmp_path):
    d = files(tmp_path / "in", ["a.h5", "hang.h5", "die.h5", "dieonce.h5", "b.h5"])
    res = run([d], tmp_path / "out", workers=2, stage=STAGE, fmt="csv", timeout_s=3)
    errors = {Path(r["file"]).name: r for r in read_csv(res.tables["errors"])}
    assert set(errors) == {"hang.h5", "die.h5"}
    assert errors["hang.h5"]["error_type"] == "TimeLimitExceeded"
    assert "3 s" in errors["hang.h5"]["message"]
    assert errors["die.h5"]["error_type"] == "WorkerDied"
    assert "exit code 4" in errors["die.h5"]["message"]
    rows = {r["name"]: r for r in read_csv(res.tables["files"])}
    assert set(rows) == {"a.h5", "dieonce.h5", "b.h5"}  # the retry on a fresh worker succeeded
    assert (d / "dieonce.h5.died").exists()
    assert res.n_errors == 2 and res.n_processed == 5


def _manifest_entries(out: Path) -> list[dict]:
    p = out / MANIFEST_NAME
    if not p.exists():
        return []
    lines = p.read_text().split("\n")[1:]
    return [json.loads(x) for x in lines if x.endswith("}")]


def test_ctrl_c_keeps_what_is_done_and_a_rerun_resumes(tmp_path):
    names = [f"slow{i:02d}.h5" for i in range(24)]
    d = files(tmp_path / "in", names)
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), str(TESTS)])}
    cmd = [sys.executable, "-m", "ncs_emg", "batch", str(d), "-o", str(out), "--stage", STAGE,
           "--format", "csv", "--workers", "1"]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while len(_manifest_entries(out)) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err.decode()
    assert b"interrupted" in err
    done = _manifest_entries(out)
    assert 3 <= len(done) < len(names)
    for e in done:  # every recorded file has its complete part
        assert json.loads((out / "parts" / e["part"]).read_text())["status"] == "ok"
    assert len(read_csv(out / "files.csv")) == len(done)  # tables hold what was done
    res = run([d], out, workers=2, stage=STAGE, fmt="csv")
    assert res.n_skipped == len(done) and res.n_processed == len(names) - len(done)
    assert sorted(r["name"] for r in read_csv(res.tables["files"])) == names
