"""Atomic files, per-file result parts, and the tidy output tables (CSV, JSON lines, Parquet).

Every file is written to a temporary name in the same folder and renamed over its final name
(``os.replace``), so a killed run leaves either the old or the new complete file, never half of one.
Files are not fsynced one by one (that would cost two disk flushes per input): a killed process
loses nothing that was recorded, a power loss may lose the last few files' parts (a rerun redoes
them, since the manifest then points to a missing part and the entry is ignored).
Tables are built by streaming over the parts twice (column types, then rows), so the parent's memory
does not grow with the number of files.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import NotAvailableError, ParameterError

__all__ = [
    "FORMATS",
    "atomic_path",
    "write_json_atomic",
    "read_part",
    "write_tables",
    "column_unit",
    "UNIT_SUFFIXES",
]

#: Output table formats.
FORMATS: tuple[str, ...] = ("parquet", "csv", "jsonl")
_EXT = {"parquet": ".parquet", "csv": ".csv", "jsonl": ".jsonl"}
_ROW_GROUP = 2000
#: Column-name suffix → unit, longest suffix first (``_mv_ms`` before ``_ms``).
UNIT_SUFFIXES: dict[str, str] = {
    "_mv_ms": "mV·ms",
    "_m_s": "m/s",
    "_ms": "ms",
    "_mv": "mV",
    "_mm": "mm",
    "_cm": "cm",
    "_hz": "Hz",
    "_pct": "%",
    "_ma": "mA",
}


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success rename it to ``path``, else delete it."""
    final = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, final)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json_atomic(path: str | os.PathLike, obj: Any) -> None:
    """Write ``obj`` as JSON to ``path`` atomically (temporary file, then rename)."""
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(obj, allow_nan=False, separators=(",", ":")))  # C encoder


def read_part(path: str | os.PathLike) -> dict[str, Any]:
    """A part file written by the batch runner (one input file's result)."""
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def column_unit(name: str) -> str:
    """The unit a column name carries in its suffix (``"ms"`` for ``onset_latency_ms``), or ``""``."""
    for suffix, unit in UNIT_SUFFIXES.items():
        if name.endswith(suffix):
            return unit
    return ""


# ---- column types -----------------------------------------------------------------------------


_NONE = type(None)


def _kind_of(types: set) -> str | None:
    """Column kind from the Python types seen in it (None: no value seen)."""
    types = types - {_NONE}
    if not types:
        return None
    if types == {bool}:
        return "bool"
    if types <= {int}:
        return "int"
    if types <= {int, float}:
        return "float"
    return "str"


class _Schema:
    """Column order and the Python types seen per column, grown row by row."""

    def __init__(self, known: Sequence[str]):
        self.columns: list[str] = list(known)
        self.types: dict[str, set] = {c: set() for c in known}

    def add(self, row: Mapping[str, Any]) -> None:
        types = self.types
        for k, v in row.items():
            s = types.get(k)
            if s is None:
                s = types[k] = set()
                self.columns.append(k)
            s.add(type(v))

    def kind(self, col: str) -> str:
        k = _kind_of(self.types.get(col, set()))
        if k is None:  # never seen a value: a number when the name carries a unit
            return "float" if column_unit(col) else "str"
        return k


def _rows_of(part: Mapping[str, Any], table: str) -> list[dict[str, Any]]:
    if table == "errors":
        return [part["error"]] if part.get("status") == "error" else []
    if part.get("status") != "ok":
        return []
    return list(part.get("tables", {}).get(table, ()))


# ---- writers ----------------------------------------------------------------------------------


class _CsvWriter:
    def __init__(self, path: Path, schema: _Schema, meta: Mapping[str, Any]):
        self.fh = open(path, "w", encoding="utf-8", newline="")
        self.w = csv.DictWriter(self.fh, fieldnames=schema.columns, lineterminator="\n")
        self.w.writeheader()

    def write(self, rows: list[dict[str, Any]]) -> None:
        self.w.writerows(rows)

    def close(self) -> None:
        self.fh.close()


class _JsonlWriter:
    def __init__(self, path: Path, schema: _Schema, meta: Mapping[str, Any]):
        self.fh = open(path, "w", encoding="utf-8")
        self.cols = schema.columns

    def write(self, rows: list[dict[str, Any]]) -> None:
        for r in rows:
            self.fh.write(json.dumps({c: r.get(c) for c in self.cols}, allow_nan=False) + "\n")

    def close(self) -> None:
        self.fh.close()


class _ParquetWriter:
    _TYPES = {"bool": "bool_", "int": "int64", "float": "float64", "str": "string"}

    def __init__(self, path: Path, schema: _Schema, meta: Mapping[str, Any]):
        pa, pq = _pyarrow()
        self.pa = pa
        fields = [pa.field(c, getattr(pa, self._TYPES[schema.kind(c)])()) for c in schema.columns]
        md = {k: json.dumps(v) if not isinstance(v, str) else v for k, v in meta.items()}
        md["ncs_emg_units"] = json.dumps(
            {c: column_unit(c) for c in schema.columns if column_unit(c)}
        )
        self.schema = pa.schema(fields, metadata=md)
        self.kinds = {c: schema.kind(c) for c in schema.columns}
        self.w = pq.ParquetWriter(str(path), self.schema)

    def write(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        cols = {}
        for c in self.schema.names:
            vals = [r.get(c) for r in rows]
            if self.kinds[c] == "str":  # a column of mixed types is stored as text
                vals = [v if v is None or isinstance(v, str) else json.dumps(v) for v in vals]
            cols[c] = vals
        self.w.write_table(self.pa.Table.from_pydict(cols, schema=self.schema))

    def close(self) -> None:
        self.w.close()


def _pyarrow() -> tuple[Any, Any]:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise NotAvailableError(
            "format 'parquet' needs pyarrow (pip install 'ncs_emg[parquet]'); or use csv / jsonl"
        ) from exc
    return pa, pq


_WRITERS = {"csv": _CsvWriter, "jsonl": _JsonlWriter, "parquet": _ParquetWriter}


def write_tables(
    parts: Iterable[Path] | Sequence[Path],
    out_dir: str | os.PathLike,
    known: Mapping[str, Sequence[str]],
    *,
    fmt: str = "parquet",
    metadata: Mapping[str, Any] | None = None,
) -> dict[str, Path]:
    """Write one table file per name in ``known`` (+ ``errors``) from the part files ``parts``.

    Parameters
    ----------
    parts : sequence of Path
        Part files (read twice: once for the columns and their types, once for the rows).
    out_dir : path
        Folder of the tables (``<name>.<format>``), each written atomically.
    known : mapping of table name to column names
        Columns each table has even when empty, in order (``file``, ``sha256`` first); columns met
        in the parts beyond these are appended.
    fmt : {"parquet", "csv", "jsonl"}
        Table format. Parquet files carry ``metadata`` (JSON values) and a column → unit map.
    metadata : mapping, optional
        Package version, stage and parameters, stored in Parquet metadata.

    Returns
    -------
    dict of str to Path
        Table name → file written.

    Raises
    ------
    ParameterError
        For an unknown format.
    NotAvailableError
        For Parquet without pyarrow.
    """
    if fmt not in _WRITERS:
        raise ParameterError(f"format: invalid value {fmt!r}; valid: {list(FORMATS)}")
    parts = list(parts)
    names = list(known)
    schemas = {
        n: _Schema(("file", "sha256", *[c for c in known[n] if c not in ("file", "sha256")]))
        for n in names
    }
    for p in parts:  # pass 1: columns and types
        part = read_part(p)
        for n in _table_names(part, schemas, known):
            for r in _rows_of(part, n):
                schemas[n].add(r)
    out = Path(out_dir)
    written: dict[str, Path] = {}
    with _OpenTables(out, schemas, fmt, dict(metadata or {})) as writers:
        buf: dict[str, list[dict[str, Any]]] = {n: [] for n in schemas}
        for p in parts:  # pass 2: rows, flushed in row groups
            part = read_part(p)
            for n in schemas:
                buf[n].extend(_rows_of(part, n))
                if len(buf[n]) >= _ROW_GROUP:
                    writers[n].write(buf[n])
                    buf[n] = []
        for n, rows in buf.items():
            writers[n].write(rows)
        written = {n: out / f"{n}{_EXT[fmt]}" for n in schemas}
    return written


def _table_names(part: Mapping[str, Any], schemas: dict[str, _Schema], known: Mapping) -> list[str]:
    """Table names of a part, adding a schema for a table a custom stage returned."""
    for n in part.get("tables", {}) if part.get("status") == "ok" else ():
        if n not in schemas:
            schemas[n] = _Schema(("file", "sha256"))
    return list(schemas)


class _OpenTables:
    """Open every table's writer on a temporary file; rename all on success, delete all on error."""

    def __init__(self, out: Path, schemas: dict[str, _Schema], fmt: str, meta: dict[str, Any]):
        self.out, self.schemas, self.fmt, self.meta = out, schemas, fmt, meta
        self.tmp: dict[str, Path] = {}
        self.writers: dict[str, Any] = {}

    def __enter__(self) -> dict[str, Any]:
        try:
            for n, s in self.schemas.items():
                fd, tmp = tempfile.mkstemp(prefix=f".{n}.", suffix=".tmp", dir=self.out)
                os.close(fd)
                self.tmp[n] = Path(tmp)
                self.writers[n] = _WRITERS[self.fmt](
                    Path(tmp), s, {**self.meta, "ncs_emg_table": n}
                )
        except BaseException:
            self._cleanup()
            raise
        return self.writers

    def _cleanup(self) -> None:
        for w in self.writers.values():
            try:
                w.close()
            except Exception:  # noqa: BLE001 - best effort on the error path
                pass
        for t in self.tmp.values():
            t.unlink(missing_ok=True)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any
    ) -> None:
        if exc_type is not None:
            self._cleanup()
            return
        for w in self.writers.values():
            w.close()
        for n, t in self.tmp.items():
            os.replace(t, self.out / f"{n}{_EXT[self.fmt]}")
