"""The native HDF5 study format (layout: ``docs/hdf5-format.md``).

Physical quantities are stored NWB-style: the stored number plus its SI unit and a ``conversion``
factor (SI value = stored value × conversion). ncs_emg writes its internal units (mV, ms, mm, mA) with
the matching conversion (1e-3), so a study round-trips bit for bit; files from other tools may store
SI values directly (conversion 1.0) and are converted on reading.

Writing is atomic (a temporary file beside the target, renamed when complete). Reading never leaves
the file: external raw storage, external links, soft links that do not resolve inside the file and
virtual datasets are refused; every attribute has one accepted type; the sizes datasets claim are
checked against :mod:`ncs_emg.io.limits` before anything is read.
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from .._units import SI_FACTOR
from ..errors import FormatError, NcsEmgError
from ..types import Nerve, Site, Study, Sweeps
from .atomic import atomic_path, check_study_texts
from .limits import get_read_limits
from .paths import regular_file

_pkg = __name__.partition(".")[0]  # the package name, without importing the package root

__all__ = ["read_hdf5_study", "write_hdf5_study", "FORMAT_NAME", "FORMAT_VERSION", "MAX_SAMPLES"]

FORMAT_NAME = "ncs_emg-study"
FORMAT_VERSION = "1.1"
_SUPPORTED_MAJOR = 1
#: Largest single sweep array (elements) the reader will allocate; larger claims are a FormatError.
#: The whole file is also held to ``ncs_emg.io.limits.get_read_limits().max_samples``.
MAX_SAMPLES = 1 << 28

_SI_UNIT = {"voltage": "V", "time": "s", "length": "m", "frequency": "Hz", "current": "A"}


def _version() -> str:
    from .._version import __version__

    return __version__


# ---- writing -------------------------------------------------------------------------------------


def _put_quantity(obj: Any, name: str, value: float | None, quantity: str) -> None:
    if value is None:
        return
    obj.attrs[name] = float(value)
    obj.attrs[f"{name}_unit"] = _SI_UNIT[quantity]
    obj.attrs[f"{name}_conversion"] = SI_FACTOR[quantity]


def _put_str(obj: Any, name: str, value: str | None) -> None:
    if value is not None:
        obj.attrs[name] = str(value)


def _write_sweeps(group: Any, sw: Sweeps) -> None:
    ds = group.create_dataset(
        "data", data=sw.data, compression="gzip", compression_opts=4, shuffle=True
    )
    ds.attrs["unit"] = "V"
    ds.attrs["conversion"] = SI_FACTOR["voltage"]
    ds.attrs["dimensions"] = "sweep, sample"
    _put_quantity(group, "sampling_rate", sw.sfreq_hz, "frequency")
    _put_quantity(group, "t0", sw.t0_ms, "time")
    group.create_dataset("accepted", data=np.asarray(sw.accepted, dtype=np.uint8))
    if sw.saturated is not None:
        group.create_dataset("saturated", data=sw.saturated.astype(np.uint8))
    for name, values, quantity in (
        ("stim_intensity", sw.stim_intensity_ma, "current"),
        ("pulse_width", sw.pulse_width_ms, "time"),
    ):
        if values is not None:  # per sweep, NaN = unknown for that sweep
            ds = group.create_dataset(name, data=values)
            ds.attrs["unit"] = _SI_UNIT[quantity]
            ds.attrs["conversion"] = SI_FACTOR[quantity]


def _write_nerve(g: Any, nerve: Nerve, index: int) -> None:
    g.attrs["index"] = index
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
    width = max(2, len(str(len(nerve.sites) - 1)))
    for j, site in enumerate(nerve.sites):
        sg = sites.create_group(f"site_{j:0{width}d}")
        sg.attrs["index"] = j
        sg.attrs["name"] = site.name
        _put_str(sg, "segment", site.segment)
        _put_quantity(sg, "distance", site.distance_mm, "length")
        _put_quantity(sg, "stim_intensity", site.stim_intensity_ma, "current")
        _put_quantity(sg, "pulse_width", site.pulse_width_ms, "time")
        _write_sweeps(sg, site.sweeps)
    if nerve.fwaves is not None:
        _write_sweeps(g.create_group("fwaves"), nerve.fwaves)


def _write_file(fh: Any, study: Study) -> None:
    fh.attrs["format"] = FORMAT_NAME
    fh.attrs["format_version"] = FORMAT_VERSION
    fh.attrs["created_by"] = f"{_pkg} {_version()}"
    fh.create_group("subject").attrs["subject_id"] = study.subject_id
    rec = fh.create_group("recording")
    _put_str(rec, "date", study.date)
    _put_str(rec, "device", study.device)
    rec.attrs["source_json"] = json.dumps(study.source, sort_keys=True, default=str)
    nerves = fh.create_group("nerves")
    nerves.attrs["count"] = len(study.nerves)
    width = max(3, len(str(len(study.nerves) - 1)))
    for i, nerve in enumerate(study.nerves):
        _write_nerve(nerves.create_group(f"nerve_{i:0{width}d}"), nerve, i)
    fh.create_group("analysis").attrs["note"] = (
        "derived results; empty unless written by an analysis"
    )


def write_hdf5_study(study: Study, path: str | os.PathLike) -> None:
    """Write ``study`` to ``path`` in the native layout, atomically.

    The file appears at ``path`` only when complete (a temporary file in the same directory is
    renamed over it); on any failure an existing file at ``path`` is left untouched.

    Raises
    ------
    ParameterError
        When a name holds text HDF5 cannot store (NUL, lone surrogates); nothing is written.
    FormatError
        When the file cannot be written.
    """
    import h5py

    p = Path(path)
    check_study_texts(study)
    with atomic_path(p) as tmp:
        try:
            with h5py.File(tmp, "w") as fh:
                _write_file(fh, study)
        except OSError as exc:
            raise FormatError(f"{p}: cannot be written ({exc})") from exc


# ---- reading: typed attribute access -------------------------------------------------------------


class _Ctx:
    """The file being read, for messages, and the running sample budget."""

    def __init__(self, path: Path):
        self.path = path
        self.limits = get_read_limits()
        self.samples = 0

    def err(self, where: str, msg: str) -> FormatError:
        return FormatError(f"{self.path}: {where}: {msg}")

    def spend(self, where: str, n: int) -> None:
        self.samples += n
        if self.samples > self.limits.max_samples:
            raise self.err(
                where,
                f"the file's datasets reach {self.samples} samples, more than the reading budget "
                f"max_samples={self.limits.max_samples} (ncs_emg.io.limits; raise it for big "
                "files)",
            )


def _scalar(ctx: _Ctx, obj: Any, name: str) -> Any:
    """The attribute as a Python/NumPy scalar: one-element arrays unwrapped, others refused."""
    where = f"{obj.name} attribute {name!r}"
    try:
        v = obj.attrs[name]
    except (OSError, TypeError, ValueError) as exc:  # unreadable attribute types
        raise ctx.err(where, f"cannot be read ({exc})") from exc
    if isinstance(v, np.ndarray):
        if v.size != 1:
            raise ctx.err(where, f"expected one value, got an array of shape {v.shape}")
        v = v.reshape(-1)[0]
    return v


def _get_str(ctx: _Ctx, obj: Any, name: str, *, required: bool = False) -> str | None:
    if name not in obj.attrs:
        if required:
            raise ctx.err(f"{obj.name} attribute {name!r}", "missing")
        return None
    v = _scalar(ctx, obj, name)
    if isinstance(v, bytes):
        try:
            v = v.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ctx.err(f"{obj.name} attribute {name!r}", f"not UTF-8 text: {v[:40]!r}") from exc
    if not isinstance(v, str):
        raise ctx.err(
            f"{obj.name} attribute {name!r}", f"expected text, got {type(v).__name__} {v!r}"
        )
    return v


def _get_number(ctx: _Ctx, obj: Any, name: str, default: float | None = None) -> float | None:
    """A real, finite number (booleans, complex numbers and text refused); ``default`` if absent."""
    where = f"{obj.name} attribute {name!r}"
    if name not in obj.attrs:
        return default
    raw = _scalar(ctx, obj, name)
    if isinstance(raw, (bool, np.bool_)) or not isinstance(
        raw, (int, float, np.integer, np.floating)
    ):
        raise ctx.err(where, f"expected a number, got {type(raw).__name__} {raw!r}")
    try:
        value = float(raw)
    except OverflowError as exc:
        raise ctx.err(where, f"number too large for a float: {str(raw)[:40]}") from exc
    if not math.isfinite(value):
        raise ctx.err(where, f"expected a finite number, got {value!r}")
    return value


def _get_conversion(ctx: _Ctx, obj: Any, name: str) -> float:
    conv = _get_number(ctx, obj, name, 1.0)
    if conv is None or not conv > 0:
        raise ctx.err(f"{obj.name} attribute {name!r}", f"must be > 0, got {conv!r}")
    return conv


def _get_bool(ctx: _Ctx, obj: Any, name: str, default: bool) -> bool:
    if name not in obj.attrs:
        return default
    v = _scalar(ctx, obj, name)
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)) and int(v) in (0, 1):
        return bool(v)
    raise ctx.err(
        f"{obj.name} attribute {name!r}",
        f"expected a boolean (or 0/1), got {type(v).__name__} {v!r}",
    )


def _get_index(ctx: _Ctx, obj: Any) -> int | None:
    if "index" not in obj.attrs:
        return None
    v = _scalar(ctx, obj, "index")
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)) or v < 0:
        raise ctx.err(f"{obj.name} attribute 'index'", f"expected an integer >= 0, got {v!r}")
    return int(v)


def _scale(ctx: _Ctx, value: float, conv: float, quantity: str, where: str) -> float:
    if conv == SI_FACTOR[quantity]:
        return value  # stored in the internal unit: exact
    out = value * conv / SI_FACTOR[quantity]
    if not math.isfinite(out):
        raise ctx.err(where, f"{value!r} x conversion {conv!r} is not a finite number")
    return out


def _get_quantity(
    ctx: _Ctx, obj: Any, name: str, quantity: str, *, required: bool = False
) -> float | None:
    where = f"{obj.name} attribute {name!r}"
    if name not in obj.attrs:
        if required:
            raise ctx.err(where, "missing")
        return None
    value = _get_number(ctx, obj, name)
    if value is None:  # pragma: no cover - presence checked above
        raise ctx.err(where, "missing")
    unit = _get_str(ctx, obj, f"{name}_unit") or _SI_UNIT[quantity]
    if unit != _SI_UNIT[quantity]:
        raise ctx.err(
            f"{obj.name} attribute {name + '_unit'!r}",
            f"expected {_SI_UNIT[quantity]!r}, got {unit!r}",
        )
    conv = _get_conversion(ctx, obj, f"{name}_conversion")
    return _scale(ctx, value, conv, quantity, where)


def _get_temperature(ctx: _Ctx, g: Any) -> float | None:
    t = _get_number(ctx, g, "temperature")
    if t is None:
        return None
    unit = _get_str(ctx, g, "temperature_unit") or "degC"
    if unit != "degC":
        raise ctx.err(f"{g.name} attribute 'temperature_unit'", f"expected 'degC', got {unit!r}")
    return t


# ---- reading: safe navigation --------------------------------------------------------------------


def _child(ctx: _Ctx, group: Any, name: str, kind: str, *, required: bool = True) -> Any:
    """``group[name]`` when it is a hard link to a ``kind`` ("group"/"dataset") in this file.

    External links are refused (they read other files); a soft link is followed only when its
    target is a hard-linked object of this file (no chains, no loops).
    """
    import h5py

    path = f"{group.name.rstrip('/')}/{name}"
    try:
        link = group.get(name, getlink=True)
    except (KeyError, RuntimeError, OSError, ValueError) as exc:
        raise ctx.err(path, f"cannot be resolved ({exc})") from exc
    if link is None:
        if required:
            raise ctx.err(path, f"missing {kind}")
        return None
    if isinstance(link, h5py.ExternalLink):
        raise ctx.err(
            path,
            f"external link to {link.filename!r}:{link.path!r} refused (a study file must not "
            "read other files)",
        )
    if isinstance(link, h5py.SoftLink):
        target = link.path
        tgt = group.file.get(target, getlink=True) if target.startswith("/") else None
        if not isinstance(tgt, h5py.HardLink):
            raise ctx.err(
                path, f"soft link to {target!r} does not resolve to an object of this file; refused"
            )
    elif not isinstance(link, h5py.HardLink):  # pragma: no cover - h5py has no other link kinds
        raise ctx.err(path, f"unsupported link {link!r}")
    try:
        obj = group[name]
    except (KeyError, RuntimeError, OSError, ValueError) as exc:
        raise ctx.err(path, f"cannot be opened ({exc})") from exc
    want = h5py.Group if kind == "group" else h5py.Dataset
    if not isinstance(obj, want):
        raise ctx.err(path, f"expected a {kind}, got {type(obj).__name__}")
    if kind == "dataset":
        _check_dataset_storage(ctx, obj)
    return obj


def _check_dataset_storage(ctx: _Ctx, ds: Any) -> None:
    """Refuse datasets whose bytes live outside the file (external raw storage, virtual)."""
    try:
        external = ds.id.get_create_plist().get_external_count()
        virtual = ds.is_virtual
    except (OSError, RuntimeError, ValueError) as exc:
        raise ctx.err(ds.name, f"storage cannot be inspected ({exc})") from exc
    if external:
        raise ctx.err(ds.name, "dataset with external raw storage (data in another file) refused")
    if virtual:
        raise ctx.err(ds.name, "virtual dataset (data mapped from other files) refused")


def _ordered_children(ctx: _Ctx, group: Any, prefix: str) -> list:
    """Children ``<prefix>N`` in their stored order.

    Files from 1.1 on carry an ``index`` attribute on every child; older files are ordered by the
    number in the name (``site_9`` before ``site_10``), never as text.
    """
    names = []
    for k in group.keys():
        m = re.fullmatch(re.escape(prefix) + r"(\d{1,9})", k)
        if m:
            names.append((int(m.group(1)), k))
    children = [_child(ctx, group, k, "group") for _, k in sorted(names)]
    idx = [_get_index(ctx, c) for c in children]
    known = [i for i in idx if i is not None]
    if len(known) == len(idx):
        if sorted(known) != list(range(len(known))):
            raise ctx.err(
                group.name, f"'index' attributes {sorted(known)} are not 0..{len(known) - 1}"
            )
        children = [c for _, c in sorted(zip(known, children, strict=True), key=lambda t: t[0])]
    if "count" in group.attrs:
        count = _get_number(ctx, group, "count")
        if count != len(children):
            raise ctx.err(
                f"{group.name} attribute 'count'",
                f"says {count:g} but {len(children)} {prefix}* groups exist",
            )
    return children


# ---- reading: datasets ---------------------------------------------------------------------------


def _read_array(ctx: _Ctx, ds: Any, kinds: str) -> np.ndarray:
    """The dataset's values as float64 in one copy, after its size was checked."""
    if ds.dtype.kind not in kinds:
        raise ctx.err(ds.name, f"expected a numeric dataset, got dtype {ds.dtype}")
    ctx.spend(ds.name, int(ds.size))
    out = np.empty(ds.shape, dtype=np.float64)
    try:
        if ds.size:
            ds.read_direct(out)
    except (OSError, RuntimeError, ValueError, TypeError) as exc:
        raise ctx.err(ds.name, f"cannot be read ({exc})") from exc
    return out


def _read_flags(ctx: _Ctx, group: Any, name: str, n: int) -> np.ndarray | None:
    ds = _child(ctx, group, name, "dataset", required=False)
    if ds is None:
        return None
    if ds.shape != (n,) or ds.dtype.kind not in "biu":
        raise ctx.err(ds.name, f"expected {n} flags (0/1), got shape {ds.shape} dtype {ds.dtype}")
    ctx.spend(ds.name, n)
    v = np.asarray(ds[()])
    if v.dtype.kind != "b" and not np.isin(v, (0, 1)).all():
        bad = v[~np.isin(v, (0, 1))][0]
        raise ctx.err(ds.name, f"flags must be 0 or 1, got {bad!r}")
    return v.astype(bool)


def _read_per_sweep(ctx: _Ctx, group: Any, name: str, quantity: str, n: int) -> np.ndarray | None:
    ds = _child(ctx, group, name, "dataset", required=False)
    if ds is None:
        return None
    if ds.shape != (n,):
        raise ctx.err(ds.name, f"expected {n} numbers, got shape {ds.shape}")
    v = _read_array(ctx, ds, "iuf")
    unit = _get_str(ctx, ds, "unit") or _SI_UNIT[quantity]
    if unit != _SI_UNIT[quantity]:
        raise ctx.err(
            f"{ds.name} attribute 'unit'", f"expected {_SI_UNIT[quantity]!r}, got {unit!r}"
        )
    conv = _get_conversion(ctx, ds, "conversion")
    return v if conv == SI_FACTOR[quantity] else v * (conv / SI_FACTOR[quantity])


def _read_data(ctx: _Ctx, group: Any) -> np.ndarray:
    ds = _child(ctx, group, "data", "dataset")
    if ds.ndim != 2:
        raise ctx.err(ds.name, f"expected 2 dimensions (sweep, sample), got shape {ds.shape}")
    if ds.size > MAX_SAMPLES:
        raise ctx.err(
            ds.name, f"claims {ds.size} samples, more than the reader's limit {MAX_SAMPLES}"
        )
    unit = _get_str(ctx, ds, "unit") or "V"
    if unit != "V":
        raise ctx.err(f"{ds.name} attribute 'unit'", f"expected 'V', got {unit!r}")
    conv = _get_conversion(ctx, ds, "conversion")
    if ds.shape[0] > ctx.limits.max_sweeps_per_site:
        raise ctx.err(
            ds.name,
            f"{ds.shape[0]} sweeps, more than the reading budget max_sweeps_per_site="
            f"{ctx.limits.max_sweeps_per_site}",
        )
    data = _read_array(ctx, ds, "iuf")
    if conv != SI_FACTOR["voltage"]:
        data *= conv / SI_FACTOR["voltage"]
    if not np.isfinite(data).all():
        bad = np.argwhere(~np.isfinite(data))[0]
        raise ctx.err(ds.name, f"non-finite sample at sweep {bad[0]}, sample {bad[1]}")
    data.setflags(write=False)  # handed to Sweeps without another copy
    return data


def _read_sweeps(ctx: _Ctx, group: Any) -> Sweeps:
    data = _read_data(ctx, group)
    n = data.shape[0]
    fs = _get_quantity(ctx, group, "sampling_rate", "frequency", required=True)
    if fs is None or fs <= 0:
        raise ctx.err(f"{group.name} attribute 'sampling_rate'", f"must be > 0, got {fs!r}")
    return Sweeps(
        data,
        fs,
        _get_quantity(ctx, group, "t0", "time") or 0.0,
        _read_flags(ctx, group, "accepted", n),
        stim_intensity_ma=_read_per_sweep(ctx, group, "stim_intensity", "current", n),
        pulse_width_ms=_read_per_sweep(ctx, group, "pulse_width", "time", n),
        saturated=_read_flags(ctx, group, "saturated", n),
    )


# ---- reading: the study --------------------------------------------------------------------------


def _required_str(ctx: _Ctx, obj: Any, name: str) -> str:
    v = _get_str(ctx, obj, name, required=True)
    if v is None:  # pragma: no cover - _get_str raised already
        raise ctx.err(f"{obj.name} attribute {name!r}", "missing")
    return v


def _read_site(ctx: _Ctx, sg: Any) -> Site:
    return Site(
        name=_required_str(ctx, sg, "name"),
        sweeps=_read_sweeps(ctx, sg),
        distance_mm=_get_quantity(ctx, sg, "distance", "length"),
        segment=_get_str(ctx, sg, "segment"),
        stim_intensity_ma=_get_quantity(ctx, sg, "stim_intensity", "current"),
        pulse_width_ms=_get_quantity(ctx, sg, "pulse_width", "time"),
    )


def _read_nerve(ctx: _Ctx, g: Any) -> Nerve:
    sites_group = _child(ctx, g, "sites", "group", required=False)
    sites = []
    if sites_group is not None:
        sites = [_read_site(ctx, sg) for sg in _ordered_children(ctx, sites_group, "site_")]
    fw_group = _child(ctx, g, "fwaves", "group", required=False)
    return Nerve(
        nerve=_required_str(ctx, g, "nerve"),
        side=_get_str(ctx, g, "side") or "unknown",
        muscle=_get_str(ctx, g, "muscle"),
        kind=_get_str(ctx, g, "kind") or "motor",
        sites=tuple(sites),
        fwaves=None if fw_group is None else _read_sweeps(ctx, fw_group),
        lff_hz=_get_quantity(ctx, g, "lff", "frequency"),
        hff_hz=_get_quantity(ctx, g, "hff", "frequency"),
        temperature_c=_get_temperature(ctx, g),
        polarity_flipped=_get_bool(ctx, g, "polarity_flipped", False),
    )


def _check_format(ctx: _Ctx, fh: Any) -> None:
    fmt = _get_str(ctx, fh, "format")
    if fmt != FORMAT_NAME:
        raise ctx.err(
            "root attribute 'format'",
            f"expected {FORMAT_NAME!r}, got {fmt!r}: not an ncs_emg study",
        )
    ver = _required_str(ctx, fh, "format_version")
    m = re.fullmatch(r"(\d{1,6})(?:\.\d{1,6})*", ver)
    if m is None:
        raise ctx.err("root attribute 'format_version'", f"not a version: {ver[:40]!r}")
    if int(m.group(1)) != _SUPPORTED_MAJOR:
        raise ctx.err(
            "root attribute 'format_version'",
            f"{ver!r} is not supported (this reader reads {_SUPPORTED_MAJOR}.x)",
        )


def _read_source(ctx: _Ctx, rec: Any) -> dict[str, Any]:
    sj = _get_str(ctx, rec, "source_json")
    if not sj:
        return {}
    where = "/recording attribute 'source_json'"
    try:
        source = json.loads(sj)
    except json.JSONDecodeError as exc:
        raise ctx.err(where, f"not valid JSON ({exc.msg})") from exc
    except (ValueError, RecursionError) as exc:  # numbers past 4300 digits, deep nesting
        raise ctx.err(where, f"not readable JSON ({type(exc).__name__}: {str(exc)[:80]})") from exc
    if not isinstance(source, dict):
        raise ctx.err(where, "expected a JSON object")
    return source


def _read_file(ctx: _Ctx, fh: Any) -> Study:
    _check_format(ctx, fh)
    subj = _child(ctx, fh, "subject", "group", required=False)
    subject_id = (_get_str(ctx, subj, "subject_id") if subj is not None else None) or "anonymous"
    rec = _child(ctx, fh, "recording", "group", required=False)
    date = device = None
    source: dict[str, Any] = {}
    if rec is not None:
        date = _get_str(ctx, rec, "date")
        device = _get_str(ctx, rec, "device")
        source = _read_source(ctx, rec)
    nerves_group = _child(ctx, fh, "nerves", "group")
    nerves = [_read_nerve(ctx, g) for g in _ordered_children(ctx, nerves_group, "nerve_")]
    return Study(tuple(nerves), subject_id=subject_id, date=date, device=device, source=source)


def read_hdf5_study(path: str | os.PathLike) -> Study:
    """Read a study written in the native layout.

    Raises
    ------
    FormatError
        When the file is not an ncs_emg study, has an unsupported major version, a field is missing,
        wrongly typed or out of range, data would be read from outside the file (external storage or
        links, virtual datasets), or the datasets exceed the reading budget
        (:mod:`ncs_emg.io.limits`). The message names the file, the HDF5 path and the attribute.
    """
    import h5py

    p = regular_file(path)
    ctx = _Ctx(p)
    try:
        fh = h5py.File(p, "r")
    except OSError as exc:
        raise FormatError(f"{p}: not a readable HDF5 file ({exc})") from exc
    try:
        with fh:
            return _read_file(ctx, fh)
    except FormatError:
        raise
    except NcsEmgError as exc:  # a field failed the model's validation
        raise FormatError(f"{p}: {exc}") from exc
    except (OSError, KeyError, TypeError, ValueError, RuntimeError, RecursionError) as exc:
        raise FormatError(f"{p}: malformed study file ({type(exc).__name__}: {exc})") from exc
