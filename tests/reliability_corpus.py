"""Builders of bad inputs for the reliability tests: every file is made at run time in a folder.

Each builder takes a directory and returns the path it wrote (plus what the test needs). Nothing here
asserts: ``tests/test_reliability.py`` holds one test per case with the exact expected behaviour.
"""

from __future__ import annotations

import os
from pathlib import Path

import h5py
import numpy as np

import ncs_emg
from ncs_emg import Nerve, Site, Study, Sweeps
from ncs_emg.io import EdfSignal, write_edf


def small_study(n_nerves: int = 2, n_sites: int = 2, subject: str = "rel-01") -> Study:
    """A valid study with a recognisable CMAP in every sweep."""
    t = -5.0 + np.arange(400) * 0.05
    x = np.where((t > 3) & (t < 11), -5 * np.sin(2 * np.pi * (t - 3) / 8), 0.0)
    nerves = []
    for i in range(n_nerves):
        sites = tuple(
            Site(f"s{j}", Sweeps(np.stack([x, 0.5 * x]), 20000.0, -5.0), 70.0 + j, f"seg {j}")
            for j in range(n_sites)
        )
        nerves.append(Nerve("median" if i % 2 == 0 else "ulnar", "right", "APB", sites=sites))
    return Study(tuple(nerves), subject_id=subject)


def h5_study(d: Path, name: str = "s.h5", **kw) -> Path:
    return ncs_emg.write_study(small_study(**kw), d / name)


def h5_mutated(d: Path, fn, name: str = "m.h5") -> Path:
    """A valid study file changed by ``fn(h5py.File)``."""
    p = h5_study(d, name)
    with h5py.File(p, "r+") as fh:
        fn(fh)
    return p


def replace_data(fh, path: str, **create) -> None:
    """Replace the dataset at ``path`` by one made with ``create_dataset(**create)`` (attrs kept)."""
    g = fh[path.rsplit("/", 1)[0]]
    name = path.rsplit("/", 1)[1]
    attrs = dict(g[name].attrs)
    del g[name]
    ds = g.create_dataset(name, **create)
    ds.attrs.update(attrs)


# ---- reading outside the file ------------------------------------------------------------------------


def h5_external_storage(d: Path, target: Path) -> Path:
    """The first sweep dataset stored in ``target`` (external raw storage)."""
    size = 2 * 400 * 8

    def fn(fh):
        replace_data(
            fh, "nerves/nerve_000/sites/site_00/data", shape=(2, 400), dtype="<f8",
            external=[(str(target), 0, size)],
        )  # fmt: skip

    return h5_mutated(d, fn, "external.h5")


def h5_external_link(d: Path) -> Path:
    other = h5_study(d, "other.h5")

    def fn(fh):
        del fh["nerves/nerve_001"]
        fh["nerves/nerve_001"] = h5py.ExternalLink(str(other), "/nerves/nerve_000")

    return h5_mutated(d, fn, "extlink.h5")


def h5_virtual(d: Path) -> Path:
    src = d / "missing_source.h5"  # never created: a virtual dataset then reads as fill values

    def fn(fh):
        layout = h5py.VirtualLayout(shape=(2, 400), dtype="f8")
        layout[:] = h5py.VirtualSource(str(src), "data", shape=(2, 400))
        g = fh["nerves/nerve_000/sites/site_00"]
        attrs = dict(g["data"].attrs)
        del g["data"]
        g.create_virtual_dataset("data", layout, fillvalue=0.0)
        g["data"].attrs.update(attrs)

    return h5_mutated(d, fn, "virtual.h5")


def h5_soft_link(d: Path, target: str) -> Path:
    def fn(fh):
        del fh["nerves/nerve_001"]
        fh["nerves/nerve_001"] = h5py.SoftLink(target)

    return h5_mutated(d, fn, "soft.h5")


# ---- budgets ------------------------------------------------------------------------------------------


def h5_huge_datasets(d: Path, n: int = 8, each: int = 1 << 24) -> Path:
    """``n`` sweep datasets of ``each`` elements that store nothing (fill value): a tiny file."""
    shape = (max(1, each // 65536), min(each, 65536))

    def fn(fh):
        for i in range(n):
            g = fh["nerves/nerve_000/sites"].create_group(f"site_{i + 10:02d}")
            g.attrs.update({"name": f"big{i}", "sampling_rate": 20000.0, "index": i + 2})
            g.create_dataset("data", shape=shape, dtype="f8", chunks=(1, 4096), compression="gzip")
        fh["nerves/nerve_000/sites"].attrs["count"] = n + 2

    return h5_mutated(d, fn, "huge.h5")


def edf_many_records(d: Path, n_records: int) -> Path:
    """Plain EDF with ``n_records`` one-sample records (written byte by byte)."""
    p = d / "many.edf"
    head = (
        b"0       "
        + b"X".ljust(80)
        + b"X".ljust(80)
        + b"01.01.01"
        + b"00.00.00"
        + b"512".ljust(8)
        + b"".ljust(44)
        + str(n_records).encode().ljust(8)
        + b"0.001".ljust(8)
        + b"1".ljust(4)
    )
    sig = (
        b"EMG".ljust(16) + b"".ljust(80) + b"uV".ljust(8) + b"-100".ljust(8) + b"100".ljust(8)
        + b"-32768".ljust(8) + b"32767".ljust(8) + b"".ljust(80) + b"1".ljust(8) + b"".ljust(32)
    )  # fmt: skip
    with open(p, "wb") as fh:
        fh.write(head + sig)
        fh.truncate(512 + 2 * n_records)  # zeros: a sparse file
    return p


def edf_dense_trigger(d: Path, every: int = 4, n: int = 200_000) -> Path:
    """EDF+C with a trigger signal that has a rising edge every ``every`` samples."""
    fs = 10000
    trig = np.zeros(n)
    trig[::every] = 1.0
    x = np.zeros(n)
    p = d / "trigger.edf"
    write_edf(
        p,
        [EdfSignal.from_data(x, fs, label="APB"), EdfSignal.from_data(trig, fs, label="Trig")],
        file_type="EDF",
        record_duration_s=1,
    )
    return p


# ---- EDF study cases ------------------------------------------------------------------------------


def edfd_two_signals(d: Path, labels: tuple[str, str], texts=("Stimulus wrist",) * 3) -> Path:
    """EDF+D: two ordinary signals, one stimulus annotation per 20-ms record."""
    fs, spr = 10000, 200
    n = len(texts)
    x = np.sin(np.arange(n * spr) / 7.0)
    p = d / "two.edf"
    write_edf(
        p,
        [EdfSignal.from_data(x, fs, label=labels[0]), EdfSignal.from_data(-x, fs, label=labels[1])],
        file_type="EDF+D",
        record_duration_s=0.02,
        record_onsets_s=[r * 1.0 for r in range(n)],
        annotations=[(r * 1.0 + 0.005, None, t) for r, t in enumerate(texts)],
    )
    return p


def bdf_clipped(d: Path) -> Path:
    """BDF+D with one channel at the digital minimum in every sample (dead or clipped)."""
    fs, spr, n = 10000, 200, 2
    p = d / "clipped.bdf"
    lo = -1000.0
    write_edf(
        p,
        [
            EdfSignal.from_data(
                np.full(n * spr, lo), fs, label="R Median APB", physical_range=(lo, 1000.0)
            )
        ],
        file_type="BDF+D",
        record_duration_s=0.02,
        record_onsets_s=[0.0, 1.0],
        annotations=[(0.005, None, "Stimulus wrist"), (1.005, None, "Stimulus elbow")],
    )
    return p


def old_layout_edfd(d: Path) -> Path:
    """EDF+D in the layout of earlier versions: one signal per nerve, sweeps in its own signal."""
    from ncs_emg.io.edf_study.stimulus import make_xml_note

    fs, spr = 10000, 200
    sweeps = [(0, "wrist", 0), (0, "elbow", 1), (1, "wrist", 0)]
    data = {0: np.zeros(3 * spr), 1: np.zeros(3 * spr)}
    ann = []
    note = {"format": "ncs_emg-edf+d", "version": "1", "subject_id": "old", "nerves": [
        {"index": 0, "nerve": "median", "side": "right", "muscle": "APB", "kind": "motor"},
        {"index": 1, "nerve": "ulnar", "side": "left", "muscle": "ADM", "kind": "motor"},
    ]}  # fmt: skip
    ann.append((0.0, None, make_xml_note({}, note)))
    for r, (ni, site, si) in enumerate(sweeps):
        data[ni][r * spr : (r + 1) * spr] = -(ni + 1) * np.hanning(spr)
        label = ["1 median APB", "2 ulnar ADM"][ni]
        fields = {"nerve_index": ni, "signal": label, "site": site, "site_index": si,
                  "n_samples": spr, "accepted": True}  # fmt: skip
        ann.append((r * 1.0 + 0.005, None, f"Stimulus {site}"))
        ann.append((r * 1.0 + 0.005, None, make_xml_note(fields)))
    p = d / "old_layout.edf"
    write_edf(
        p,
        [
            EdfSignal.from_data(data[0], fs, label="1 median APB", unit="mV"),
            EdfSignal.from_data(data[1], fs, label="2 ulnar ADM", unit="mV"),
        ],
        file_type="EDF+D",
        record_duration_s=0.02,
        record_onsets_s=[0.0, 1.0, 2.0],
        annotations=ann,
    )
    return p


def fifo(d: Path) -> Path:
    p = d / "fifo"
    os.mkfifo(p)
    return p
