"""Batch runner on a real process pool: tidy rows, error rows for bad files, resume, formats, CLI."""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
from pathlib import Path

import pytest

import ncs_emg
from ncs_emg.batch import run
from ncs_emg.batch.manifest import MANIFEST_NAME, hash_file
from ncs_emg.batch.outputs import write_tables
from ncs_emg.batch.stages import ERROR_COLUMNS, TABLE_COLUMNS
from ncs_emg.cli import main

FIX = Path(__file__).resolve().parents[1] / "data" / "fixtures"
GOOD = ("normal_median.h5", "block_ulnar.h5", "fwave_ulnar.h5")


def make_inputs(d: Path) -> Path:
    """Three good studies among a damaged, an empty, a non-study and an unreadable input."""
    d.mkdir()
    for name in GOOD:
        shutil.copy(FIX / name, d / name)
    (d / "damaged.h5").write_bytes((FIX / "block_ulnar.h5").read_bytes()[:3000])
    (d / "empty.edf").write_bytes(b"")
    (d / "notes.edf").write_text("not a study, just text\n")
    (d / "folder.h5").mkdir()  # unreadable as a file even for root
    (d / "README.txt").write_text("not an input: wrong suffix")
    return d


@pytest.fixture(scope="module")
def batch_dir(tmp_path_factory):
    """One real local batch run (2 worker processes), stage measure, CSV tables."""
    root = tmp_path_factory.mktemp("batch")
    inputs = make_inputs(root / "in")
    res = run([inputs], root / "out", workers=2, stage="measure", fmt="csv")
    return root, inputs, res


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_every_input_gives_rows_or_one_error_row(batch_dir):
    root, inputs, res = batch_dir
    assert res.n_inputs == 7 and res.n_processed == 7 and res.n_errors == 4
    errors = {Path(r["file"]).name: r for r in read_csv(res.tables["errors"])}
    assert set(errors) == {"damaged.h5", "empty.edf", "notes.edf", "folder.h5"}
    assert list(read_csv(res.tables["errors"])[0]) == list(ERROR_COLUMNS)
    assert errors["folder.h5"]["stage"] == "input"
    assert "directory" in errors["folder.h5"]["message"]
    for name in ("damaged.h5", "empty.edf", "notes.edf"):
        assert errors[name]["stage"] == "read"
        assert errors[name]["error_type"] == "FormatError"
        assert errors[name]["sha256"] == hash_file(inputs / name)
    sweeps = read_csv(res.tables["sweeps"])
    assert {Path(r["file"]).name for r in sweeps} == set(GOOD)


def test_rows_are_the_measures_of_each_file(batch_dir):
    _, inputs, res = batch_dir
    rows = [r for r in read_csv(res.tables["sweeps"]) if r["file"].endswith("block_ulnar.h5")]
    expect = [
        r
        for sm in ncs_emg.measure_study(ncs_emg.read_study(inputs / "block_ulnar.h5"))
        for r in sm.rows()
    ]
    assert len(rows) == len(expect) > 0
    for got, want in zip(rows, expect, strict=True):
        assert got["site"] == want["site"] and int(got["sweep"]) == want["sweep"]
        for k in ("onset_latency_ms", "neg_peak_amp_mv", "neg_area_mv_ms"):
            if math.isnan(want[k]):
                assert got[k] == ""
            else:
                assert float(got[k]) == want[k]  # JSON and CSV keep every digit of a float


def test_fwave_table_has_one_row_per_train(batch_dir):
    _, _, res = batch_dir
    rows = read_csv(res.tables["fwaves"])
    assert [Path(r["file"]).name for r in rows] == ["fwave_ulnar.h5"]
    assert float(rows[0]["persistence_pct"]) > 0


def test_manifest_points_to_complete_parts(batch_dir):
    root, _, res = batch_dir
    lines = (root / "out" / MANIFEST_NAME).read_text().splitlines()
    head = json.loads(lines[0])
    assert head["stage"] == "measure" and head["ncs_emg_version"] == ncs_emg.__version__
    entries = [json.loads(x) for x in lines[1:]]
    assert len(entries) == 7
    for e in entries:
        part = json.loads((root / "out" / "parts" / e["part"]).read_text())
        assert part["status"] == e["status"] and part["file"] == e["file"]
    assert not list((root / "out").glob(".*.tmp"))  # no temporary file left behind


def test_rerun_skips_done_files_and_retry_failed_redoes_errors(batch_dir, tmp_path):
    root, inputs, first = batch_dir
    out = tmp_path / "out"
    shutil.copytree(root / "out", out)
    again = run([inputs], out, workers=1, stage="measure", fmt="csv")
    assert again.n_processed == 0 and again.n_skipped == 7
    assert read_csv(again.tables["sweeps"]) == read_csv(first.tables["sweeps"])
    retried = run([inputs], out, workers=1, stage="measure", fmt="csv", retry_failed=True)
    assert retried.n_processed == 4 and retried.n_errors == 4 and retried.n_skipped == 3
    assert len(read_csv(retried.tables["errors"])) == 4  # replaced, not duplicated


def test_same_content_under_another_name_is_already_done(batch_dir, tmp_path):
    root, inputs, _ = batch_dir
    out = tmp_path / "out"
    shutil.copytree(root / "out", out)
    shutil.copy(FIX / "normal_median.h5", inputs.parent / "damaged_fixed.h5")
    res = run([inputs.parent / "damaged_fixed.h5"], out, workers=1, stage="measure", fmt="csv")
    assert res.n_skipped == 1  # same content as in/normal_median.h5: already done
    (inputs.parent / "damaged_fixed.h5").unlink()


def test_output_folder_of_another_stage_is_refused(batch_dir, tmp_path):
    root, inputs, _ = batch_dir
    out = tmp_path / "out"
    shutil.copytree(root / "out", out)
    with pytest.raises(ncs_emg.ParameterError, match="stage"):
        run([inputs], out, workers=1, stage="analyze", fmt="csv")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a chmod 000 file; folder.h5 covers it")
def test_permission_denied_is_an_error_row(tmp_path):
    f = tmp_path / "locked.h5"
    shutil.copy(FIX / "normal_median.h5", f)
    f.chmod(0)
    res = run([f], tmp_path / "out", workers=1, stage="measure", fmt="csv")
    (row,) = read_csv(res.tables["errors"])
    assert row["stage"] == "input" and "cannot be read" in row["message"]


def test_formats_hold_the_same_rows(batch_dir, tmp_path):
    pa = pytest.importorskip("pyarrow.parquet")
    root, _, res = batch_dir
    parts = sorted((root / "out" / "parts").glob("*.json"))
    known = {**TABLE_COLUMNS["measure"], "errors": ERROR_COLUMNS}
    meta = {"ncs_emg_version": ncs_emg.__version__, "ncs_emg_parameters": {"stage": "measure"}}
    pq = write_tables(parts, tmp_path, known, fmt="parquet", metadata=meta)
    jl = write_tables(parts, tmp_path, known, fmt="jsonl", metadata=meta)
    table = pa.read_table(pq["sweeps"])
    md = table.schema.metadata
    assert md[b"ncs_emg_version"].decode() == ncs_emg.__version__
    assert json.loads(md[b"ncs_emg_parameters"]) == {"stage": "measure"}
    assert json.loads(md[b"ncs_emg_units"])["neg_area_mv_ms"] == "mV·ms"
    assert str(table.schema.field("onset_latency_ms").type) == "double"
    assert str(table.schema.field("no_response").type) == "bool"
    lines = [json.loads(x) for x in jl["sweeps"].read_text().splitlines()]
    assert table.num_rows == len(lines) == len(read_csv(res.tables["sweeps"]))
    col = table.column("neg_peak_amp_mv").to_pylist()
    assert col == [r["neg_peak_amp_mv"] for r in lines]
    assert pa.read_table(pq["errors"]).num_rows == 4


def test_bad_arguments_name_the_parameter(tmp_path):
    with pytest.raises(ncs_emg.ParameterError, match="workers"):
        run([], tmp_path, workers=0, stage="measure")
    with pytest.raises(ncs_emg.ParameterError, match="fmt"):
        run([], tmp_path, fmt="xlsx", stage="measure")
    with pytest.raises(ncs_emg.ParameterError, match="stage"):
        run([], tmp_path, stage="nonsense")
    with pytest.raises(ncs_emg.ParameterError, match="timeout_s"):
        run([], tmp_path, stage="measure", timeout_s=0)


def test_cli_batch_runs_and_reports(tmp_path, capsys):
    d = tmp_path / "in"
    d.mkdir()
    shutil.copy(FIX / "normal_median.h5", d / "a.h5")
    (d / "b.edf").write_text("junk")
    rc = main(["batch", str(d), "-o", str(tmp_path / "out"), "--stage", "measure",
               "--format", "jsonl", "--workers", "1"])  # fmt: skip
    cap = capsys.readouterr()
    assert rc == 0
    assert "2 inputs: 2 processed (1 errors)" in cap.out
    assert "batch: 2/2 files, 1 errors" in cap.err  # log lines: stderr is not a terminal here
    errs = [json.loads(x) for x in (tmp_path / "out" / "errors.jsonl").read_text().splitlines()]
    assert [Path(e["file"]).name for e in errs] == ["b.edf"]
    assert main(["batch", str(d), "-o", str(tmp_path / "out"), "--workers", "0"]) == 1


def test_analyze_stage_rows_are_the_report_of_each_file(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    for name in ("block_ulnar.h5", "normal_median.h5"):
        shutil.copy(FIX / name, d / name)
    res = run([d], tmp_path / "out", workers=1, fmt="csv")  # stage "analyze" is the default
    assert res.n_errors == 0
    assert set(res.tables) == {*TABLE_COLUMNS["analyze"], "errors"}
    rep = ncs_emg.analyze(ncs_emg.read_study(d / "block_ulnar.h5"))
    segs = [r for r in read_csv(res.tables["segments"]) if r["file"].endswith("block_ulnar.h5")]
    want = [s for n in rep.nerves for s in n.segments]
    assert [(r["from_site"], r["to_site"]) for r in segs] == [
        (s.from_site, s.to_site) for s in want
    ]
    assert [float(r["area_reduction_pct"]) for r in segs] == [s.area_reduction_pct for s in want]
    finds = [r for r in read_csv(res.tables["findings"]) if r["file"].endswith("block_ulnar.h5")]
    assert len(finds) == sum(len(n.findings) for n in rep.nerves)
    summ = {r["criteria"]: r for r in read_csv(res.tables["study_summary"])
            if r["file"].endswith("block_ulnar.h5")}  # fmt: skip
    assert {k: v["conduction_block"] for k, v in summ.items()} == {
        k: v.conduction_block for k, v in rep.summary.items()
    }
    (study_row,) = [
        r for r in read_csv(res.tables["studies"]) if r["file"].endswith("block_ulnar.h5")
    ]
    assert int(study_row["n_sites"]) == sum(len(n.sites) for n in rep.nerves)
    head = json.loads((tmp_path / "out" / MANIFEST_NAME).read_text().splitlines()[0])
    assert head["parameters"]["analysis"] == json.loads(json.dumps(dict(rep.parameters)))
    assert head["parameters"]["criteria"] == [c.id for c in rep.criteria]


def test_inputs_from_folders_and_globs_skip_the_output_folder(tmp_path):
    from ncs_emg.batch import expand_inputs

    d = tmp_path / "in"
    (d / "sub").mkdir(parents=True)
    for name in ("a.h5", "sub/b.EDF", "sub/c.txt", ".hidden.h5"):
        (d / name).write_text("x")
    (d / "out").mkdir()
    (d / "out" / "old.h5").write_text("x")
    got = expand_inputs(
        [d, str(tmp_path / "in" / "*.h5"), tmp_path / "missing.bdf"], exclude=d / "out"
    )
    assert [p.relative_to(tmp_path).as_posix() for p in got] == [
        "in/a.h5",
        "in/sub/b.EDF",
        "missing.bdf",
    ]


def test_progress_bar_on_a_terminal_and_log_lines_otherwise():
    import io

    from ncs_emg.batch import LogProgress, ProgressBar, auto_progress

    class Tty(io.StringIO):
        def isatty(self):
            return True

    tty, pipe = Tty(), io.StringIO()
    bar, log = auto_progress(tty), auto_progress(pipe)
    assert isinstance(bar, ProgressBar) and isinstance(log, LogProgress)
    for p in (bar, log):
        p.found(4)
        p.update("ok", "a.h5")
        p.update("error", "b.h5", "b.h5: not a study file")
        p.skip()
        p.close()
    assert tty.getvalue().startswith("\r[") and "3/4 files, 1 errors" in tty.getvalue()
    lines = pipe.getvalue().splitlines()
    assert lines[0] == "batch: error: b.h5: not a study file"
    assert lines[-1].startswith("batch: 3/4 files, 1 errors") and "(1 already done)" in lines[-1]
