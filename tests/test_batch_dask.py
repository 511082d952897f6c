"""The same batch on a real dask.distributed LocalCluster: the same rows as the local pool."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from ncs_emg.batch import run

distributed = pytest.importorskip("distributed")

FIX = Path(__file__).resolve().parents[1] / "data" / "fixtures"


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_dask_local_cluster_gives_the_local_rows(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    for name in ("normal_median.h5", "block_ulnar.h5", "fwave_ulnar.h5"):
        shutil.copy(FIX / name, d / name)
    (d / "junk.edf").write_text("not a study")
    local = run([d], tmp_path / "local", workers=2, stage="analyze", fmt="csv")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster:
        remote = run([d], tmp_path / "dask", scheduler=cluster.scheduler_address, stage="analyze",
                     fmt="csv")  # fmt: skip
    assert remote.n_processed == 4 and remote.n_errors == 1
    assert set(remote.tables) == set(local.tables)
    for name in remote.tables:
        assert read_csv(remote.tables[name]) == read_csv(local.tables[name])
    assert len(read_csv(remote.tables["findings"])) > 0
