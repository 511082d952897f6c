"""The native HDF5 study format (layout: ``docs/hdf5-format.md``).

Physical quantities are stored NWB-style: the stored number plus its SI unit and a ``conversion``
factor (SI value = stored value × conversion). ncs_emg writes its internal units (mV, ms, mm, mA) with
the matching conversion (1e-3), so a study round-trips bit for bit; files from other tools may store
SI values directly (conversion 1.0) and are converted on reading.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from .. import __name__ as _pkg
from .._units import SI_FACTOR
from ..errors import FormatError
from ..types import Nerve, Site, Study, Sweeps

__all__ = ["read_hdf5_study", "write_hdf5_study", "FORMAT_NAME", "FORMAT_VERSION", "MAX_SAMPLES"]

FORMAT_NAME = "ncs_emg-study"
FORMAT_VERSION = "1.0"
_SUPPORTED_MAJOR = 1
#: Largest sweep array (elements) the reader will allocate; larger claims are a FormatError.
MAX_SAMPLES = 1 << 28

_SI_UNIT = {"voltage": "V", "time": "s", "length": "m", "frequency": "Hz", "current": "A"}


def _version() -> str:
    from .. import __version__

    return __version__


# ---- writing -------------------------------------------------------------------------------------


def _put_quantity(obj, name: str, value: float | None, quantity: str) -> None:
    if value is None:
        return
    obj.attrs[name] = float(value)
    obj.attrs[f"{name}_unit"] = _SI_UNIT[quantity]
    obj.attrs[f"{name}_conversion"] = SI_FACTOR[quantity]


def _put_str(obj, name: str, value: str | None) -> None:
    if value is not None:
        obj.attrs[name] = str(value)


def _write_sweeps(group, sw: Sweeps) -> None:
    ds = group.create_dataset(
        "data", data=sw.data, compression="gzip", compression_opts=4, shuffle=True
    )
    ds.attrs["unit"] = "V"
    ds.attrs["conversion"] = SI_FACTOR["voltage"]
    ds.attrs["dimensions"] = "sweep, sample"
    _put_quantity(group, "sampling_rate", sw.sfreq_hz, "frequency")
    _put_quantity(group, "t0", sw.t0_ms, "time")
    group.create_dataset("accepted", data=sw.accepted.astype(np.uint8))
    for name, values, quantity in (
        ("stim_intensity", sw.stim_intensity_ma, "current"),
        ("pulse_width", sw.pulse_width_ms, "time"),
    ):
        if values is not None:  # per sweep, NaN = unknown for that sweep
            ds = group.create_dataset(name, data=values)
            ds.attrs["unit"] = _SI_UNIT[quantity]
            ds.attrs["conversion"] = SI_FACTOR[quantity]


def write_hdf5_study(study: Study, path: str | os.PathLike) -> None:
    """Write ``study`` to ``path`` in the native layout (overwrites)."""
    import h5py

    p = Path(path)
    try:
        fh = h5py.File(p, "w")
    except OSError as exc:
        raise FormatError(f"{p}: cannot be written ({exc})") from exc
    with fh:
        fh.attrs["format"] = FORMAT_NAME
        fh.attrs["format_version"] = FORMAT_VERSION
        fh.attrs["created_by"] = f"{_pkg} {_version()}"
        subj = fh.create_group("subject")
        subj.attrs["subject_id"] = study.subject_id
        rec = fh.create_group("recording")
        _put_str(rec, "date", study.date)
        _put_str(rec, "device", study.device)
        rec.attrs["source_json"] = json.dumps(study.source, sort_keys=True, default=str)
        nerves = fh.create_group("nerves")
        nerves.attrs["count"] = len(study.nerves)
        for i, nerve in enumerate(study.nerves):
            g = nerves.create_group(f"nerve_{i:03d}")
            g.attrs["nerve"] = nerve.nerve
            g.attrs["side"] = nerve.side
            _put_str(g, "muscle", nerve.muscle)
            g.attrs["kind"] = nerve.kind
            g.attrs["polarity_flipped"] = bool(nerve.polarity_flipped)
            _put_quantity(g, "lff", nerve.lff_hz, "frequency")
            _put_quantity(g, "hff", nerve.hff_hz, "frequency")
            if nerve.temperature_c is not None:
                g.attrs["temperature"] = float(nerve.temperature_c)
                g.attrs["temperature_unit"] = "degC"
            sites = g.create_group("sites")
            sites.attrs["count"] = len(nerve.sites)
            sites.attrs["order"] = "distal to proximal"
            for j, site in enumerate(nerve.sites):
                sg = sites.create_group(f"site_{j:02d}")
                sg.attrs["name"] = site.name
                _put_str(sg, "segment", site.segment)
                _put_quantity(sg, "distance", site.distance_mm, "length")
                _put_quantity(sg, "stim_intensity", site.stim_intensity_ma, "current")
                _put_quantity(sg, "pulse_width", site.pulse_width_ms, "time")
                _write_sweeps(sg, site.sweeps)
            if nerve.fwaves is not None:
                _write_sweeps(g.create_group("fwaves"), nerve.fwaves)
        fh.create_group("analysis").attrs["note"] = (
            "derived results; empty unless written by an analysis"
        )


# ---- reading -------------------------------------------------------------------------------------


class _Ctx:
    def __init__(self, path: Path):
        self.path = path

    def err(self, where: str, msg: str) -> FormatError:
        return FormatError(f"{self.path}: {where}: {msg}")


def _get_str(ctx: _Ctx, obj, name: str, *, required: bool = False) -> str | None:
    if name not in obj.attrs:
        if required:
            raise ctx.err(f"{obj.name} attribute {name!r}", "missing")
        return None
    v = obj.attrs[name]
    if isinstance(v, bytes):
        try:
            v = v.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ctx.err(f"{obj.name} attribute {name!r}", f"not UTF-8 text: {v[:40]!r}") from exc
    if isinstance(v, np.ndarray) or not isinstance(v, str):
        raise ctx.err(
            f"{obj.name} attribute {name!r}", f"expected text, got {type(v).__name__} {v!r}"
        )
    return v


def _get_quantity(
    ctx: _Ctx, obj, name: str, quantity: str, *, required: bool = False
) -> float | None:
    where = f"{obj.name} attribute {name!r}"
    if name not in obj.attrs:
        if required:
            raise ctx.err(where, "missing")
        return None
    raw = obj.attrs[name]
    if isinstance(raw, np.ndarray):
        if raw.size != 1:
            raise ctx.err(where, f"expected one number, got an array of shape {raw.shape}")
        raw = raw.reshape(-1)[0]
    if isinstance(raw, (bool, np.bool_)) or not isinstance(
        raw, (int, float, np.integer, np.floating)
    ):
        raise ctx.err(where, f"expected a number, got {type(raw).__name__} {raw!r}")
    value = float(raw)
    if not math.isfinite(value):
        raise ctx.err(where, f"expected a finite number, got {value!r}")
    unit = _get_str(ctx, obj, f"{name}_unit") or _SI_UNIT[quantity]
    if unit != _SI_UNIT[quantity]:
        raise ctx.err(
            f"{obj.name} attribute {name + '_unit'!r}",
            f"expected {_SI_UNIT[quantity]!r}, got {unit!r}",
        )
    conv = obj.attrs.get(f"{name}_conversion", 1.0)
    try:
        conv = float(np.asarray(conv).reshape(-1)[0])
    except (TypeError, ValueError, IndexError) as exc:
        raise ctx.err(
            f"{obj.name} attribute {name + '_conversion'!r}", f"not a number: {conv!r}"
        ) from exc
    if not (math.isfinite(conv) and conv > 0):
        raise ctx.err(
            f"{obj.name} attribute {name + '_conversion'!r}", f"must be > 0, got {conv!r}"
        )
    if conv == SI_FACTOR[quantity]:
        return value  # stored in the internal unit: exact
    return value * conv / SI_FACTOR[quantity]


def _read_sweeps(ctx: _Ctx, group) -> Sweeps:
    import h5py

    if "data" not in group or not isinstance(group["data"], h5py.Dataset):
        raise ctx.err(f"{group.name}/data", "missing sweep dataset")
    ds = group["data"]
    if ds.ndim != 2:
        raise ctx.err(ds.name, f"expected 2 dimensions (sweep, sample), got shape {ds.shape}")
    if ds.dtype.kind not in "iuf":
        raise ctx.err(ds.name, f"expected a numeric dataset, got dtype {ds.dtype}")
    if ds.size > MAX_SAMPLES:
        raise ctx.err(
            ds.name, f"claims {ds.size} samples, more than the reader's limit {MAX_SAMPLES}"
        )
    unit = _get_str(ctx, ds, "unit") or "V"
    if unit != "V":
        raise ctx.err(f"{ds.name} attribute 'unit'", f"expected 'V', got {unit!r}")
    conv = float(np.asarray(ds.attrs.get("conversion", 1.0)).reshape(-1)[0])
    if not (math.isfinite(conv) and conv > 0):
        raise ctx.err(f"{ds.name} attribute 'conversion'", f"must be > 0, got {conv!r}")
    data = np.asarray(ds[()], dtype=np.float64)
    if conv != SI_FACTOR["voltage"]:
        data = data * (conv / SI_FACTOR["voltage"])
    if not np.isfinite(data).all():
        bad = np.argwhere(~np.isfinite(data))[0]
        raise ctx.err(ds.name, f"non-finite sample at sweep {bad[0]}, sample {bad[1]}")
    fs = _get_quantity(ctx, group, "sampling_rate", "frequency", required=True)
    if fs <= 0:
        raise ctx.err(f"{group.name} attribute 'sampling_rate'", f"must be > 0, got {fs!r}")
    t0 = _get_quantity(ctx, group, "t0", "time") or 0.0
    accepted = None
    if "accepted" in group:
        acc = group["accepted"]
        if not isinstance(acc, h5py.Dataset) or acc.shape != (data.shape[0],):
            raise ctx.err(
                f"{group.name}/accepted",
                f"expected {data.shape[0]} flags, got {getattr(acc, 'shape', '?')}",
            )
        accepted = np.asarray(acc[()]).astype(bool)
    per_sweep = {}
    for name, quantity in (("stim_intensity", "current"), ("pulse_width", "time")):
        if name not in group:
            continue
        ds = group[name]
        where = f"{group.name}/{name}"
        if (
            not isinstance(ds, h5py.Dataset)
            or ds.shape != (data.shape[0],)
            or ds.dtype.kind not in "iuf"
        ):
            raise ctx.err(
                where, f"expected {data.shape[0]} numbers, got {getattr(ds, 'shape', '?')}"
            )
        unit = _get_str(ctx, ds, "unit") or _SI_UNIT[quantity]
        if unit != _SI_UNIT[quantity]:
            raise ctx.err(
                f"{where} attribute 'unit'", f"expected {_SI_UNIT[quantity]!r}, got {unit!r}"
            )
        conv = float(np.asarray(ds.attrs.get("conversion", 1.0)).reshape(-1)[0])
        if not (math.isfinite(conv) and conv > 0):
            raise ctx.err(f"{where} attribute 'conversion'", f"must be > 0, got {conv!r}")
        v = np.asarray(ds[()], dtype=np.float64)
        per_sweep[name] = v if conv == SI_FACTOR[quantity] else v * (conv / SI_FACTOR[quantity])
    return Sweeps(
        data,
        fs,
        t0,
        accepted,
        stim_intensity_ma=per_sweep.get("stim_intensity"),
        pulse_width_ms=per_sweep.get("pulse_width"),
    )


def _children(ctx: _Ctx, group, prefix: str) -> list:
    import h5py

    names = sorted(k for k in group.keys() if k.startswith(prefix))
    out = []
    for k in names:
        if not isinstance(group[k], h5py.Group):
            raise ctx.err(f"{group.name}/{k}", "expected a group")
        out.append(group[k])
    return out


def read_hdf5_study(path: str | os.PathLike) -> Study:
    """Read a study written in the native layout.

    Raises
    ------
    FormatError
        When the file is not an ncs_emg study, has an unsupported major version, or a field is missing,
        wrongly typed or out of range (the message names the HDF5 path and attribute).
    """
    import h5py

    from ..errors import NcsEmgError

    p = Path(path)
    ctx = _Ctx(p)
    try:
        fh = h5py.File(p, "r")
    except OSError as exc:
        raise FormatError(f"{p}: not a readable HDF5 file ({exc})") from exc
    try:
        with fh:
            fmt = _get_str(ctx, fh, "format")
            if fmt != FORMAT_NAME:
                raise ctx.err(
                    "root attribute 'format'",
                    f"expected {FORMAT_NAME!r}, got {fmt!r}: not an ncs_emg study",
                )
            ver = _get_str(ctx, fh, "format_version", required=True)
            try:
                major = int(ver.split(".")[0])
            except ValueError as exc:
                raise ctx.err("root attribute 'format_version'", f"not a version: {ver!r}") from exc
            if major != _SUPPORTED_MAJOR:
                raise ctx.err(
                    "root attribute 'format_version'",
                    f"{ver!r} is not supported (this reader reads {_SUPPORTED_MAJOR}.x)",
                )
            subject_id = "anonymous"
            if "subject" in fh:
                subject_id = _get_str(ctx, fh["subject"], "subject_id") or "anonymous"
            date = device = None
            source: dict[str, Any] = {}
            if "recording" in fh:
                rec = fh["recording"]
                date = _get_str(ctx, rec, "date")
                device = _get_str(ctx, rec, "device")
                sj = _get_str(ctx, rec, "source_json")
                if sj:
                    try:
                        source = json.loads(sj)
                    except json.JSONDecodeError as exc:
                        raise ctx.err(
                            "/recording attribute 'source_json'", f"not valid JSON ({exc.msg})"
                        ) from exc
                    if not isinstance(source, dict):
                        raise ctx.err(
                            "/recording attribute 'source_json'", "expected a JSON object"
                        )
            if "nerves" not in fh:
                raise ctx.err("/nerves", "missing group")
            nerves = []
            for g in _children(ctx, fh["nerves"], "nerve_"):
                sites = []
                if "sites" in g:
                    for sg in _children(ctx, g["sites"], "site_"):
                        sites.append(
                            Site(
                                name=_get_str(ctx, sg, "name", required=True),
                                sweeps=_read_sweeps(ctx, sg),
                                distance_mm=_get_quantity(ctx, sg, "distance", "length"),
                                segment=_get_str(ctx, sg, "segment"),
                                stim_intensity_ma=_get_quantity(
                                    ctx, sg, "stim_intensity", "current"
                                ),
                                pulse_width_ms=_get_quantity(ctx, sg, "pulse_width", "time"),
                            )
                        )
                fw = _read_sweeps(ctx, g["fwaves"]) if "fwaves" in g else None
                temp = g.attrs.get("temperature")
                nerves.append(
                    Nerve(
                        nerve=_get_str(ctx, g, "nerve", required=True),
                        side=_get_str(ctx, g, "side") or "unknown",
                        muscle=_get_str(ctx, g, "muscle"),
                        kind=_get_str(ctx, g, "kind") or "motor",
                        sites=tuple(sites),
                        fwaves=fw,
                        lff_hz=_get_quantity(ctx, g, "lff", "frequency"),
                        hff_hz=_get_quantity(ctx, g, "hff", "frequency"),
                        temperature_c=None
                        if temp is None
                        else float(np.asarray(temp).reshape(-1)[0]),
                        polarity_flipped=bool(g.attrs.get("polarity_flipped", False)),
                    )
                )
            return Study(
                tuple(nerves), subject_id=subject_id, date=date, device=device, source=source
            )
    except FormatError:
        raise
    except NcsEmgError as exc:  # a field failed the model's validation
        raise FormatError(f"{p}: {exc}") from exc
    except (OSError, KeyError, TypeError, ValueError) as exc:
        raise FormatError(f"{p}: malformed study file ({type(exc).__name__}: {exc})") from exc
