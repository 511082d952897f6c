"""The package's imports flow one way (files -> recordings -> measures -> findings -> segments ->
criteria -> analysis -> eligibility/cohort -> tables/outputs -> cli).

Every ``import`` inside ``src/ncs_emg`` (module level or inside a function: a lazy import is still a
dependency) is read with :mod:`ast` and checked against the layer table below: a module may import
modules of its own layer or of lower layers, never a higher one. A new module must be given a layer
here, so that the test fails until someone decides where it belongs.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "ncs_emg"

#: top-level module or subpackage of ncs_emg -> layer (lower = more basic).
LAYERS: dict[str, int] = {
    # foundations: no domain imports
    "errors": 0,
    "_version": 0,
    "_jit": 0,
    "_units": 0,
    "_validate": 0,
    "_kernels": 1,
    # recordings
    "types": 2,
    # files and the simulator both produce recordings
    "io": 3,
    "simulate": 3,
    # measures (cmap_results: the CMAP result objects measure returns)
    "cmap_results": 4,
    "measure": 4,
    "fwave_results": 5,
    "fwave": 5,
    # findings and normal limits
    "findings": 6,
    "normative": 7,
    # segments, criteria
    "segments": 8,
    "criteria": 9,
    # tidy rows of reports: reads report attributes by name and imports only errors; the reports'
    # own to_dataframe() is built on it, so it sits below analysis
    "tables": 10,
    "analysis": 11,
    # clinical layer
    "eligibility": 12,
    "cohort": 12,
    # outputs
    "viz": 13,
    "report": 14,
    "batch": 15,
    "cli": 16,
    "__main__": 17,
    "__init__": 17,
}


def _top(dotted: str) -> str:
    return dotted.split(".", 1)[0]


def _owner(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0].removesuffix(".py")


def _root_names(names: list[ast.alias]) -> set[str]:
    """What ``from ncs_emg import a, b`` depends on: submodule ``a``, or the package root's
    ``__init__`` for a name defined there (``__version__``, a re-exported function)."""
    out = set()
    for a in names:
        is_module = (SRC / f"{a.name}.py").is_file() or (SRC / a.name / "__init__.py").is_file()
        out.add(a.name if is_module else "__init__")
    return out


def _imported_tops(path: Path) -> set[str]:
    """Top-level ncs_emg modules imported by the file at ``path`` (relative and absolute imports)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    pkg_parts = list(path.relative_to(SRC).parent.parts)  # package of this module, inside ncs_emg
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("ncs_emg."):
                    out.add(_top(a.name.removeprefix("ncs_emg.")))
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                if node.module and node.module.startswith("ncs_emg"):
                    rest = node.module.removeprefix("ncs_emg").lstrip(".")
                    if rest:
                        out.add(_top(rest))
                    else:
                        out.update(_root_names(node.names))
                continue
            base = pkg_parts[: len(pkg_parts) - (node.level - 1)] if node.level > 1 else pkg_parts
            if node.level - 1 > len(pkg_parts):
                continue
            full = [*base, *(node.module.split(".") if node.module else [])]
            if full:
                out.add(full[0])
            else:  # "from . import x" (or "from .. import x") reaching the package root
                out.update(_root_names(node.names))
    return out


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py"))


def test_every_module_has_a_layer() -> None:
    unknown = sorted({_owner(p) for p in _modules()} - set(LAYERS))
    assert unknown == [], f"give these modules a layer in tests/test_layers.py: {unknown}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_imports_flow_one_way(path: Path) -> None:
    owner = _owner(path)
    if owner not in LAYERS:
        pytest.skip("reported by test_every_module_has_a_layer")
    mine = LAYERS[owner]
    upstream = sorted(
        t for t in _imported_tops(path) if t in LAYERS and t != owner and LAYERS[t] > mine
    )
    assert upstream == [], (
        f"{path.relative_to(SRC)} (layer {mine}) imports downstream modules {upstream}"
    )


def test_no_private_names_imported_across_modules() -> None:
    """``from .x import _name`` couples a module to another's internals (kernels excepted: they are
    private by design and called only from their wrappers)."""
    offenders = []
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level > 0 and node.module:
                if node.module.split(".")[-1] in ("_kernels", "_jit", "_units", "_validate"):
                    continue
                for a in node.names:
                    if a.name.startswith("_") and not a.name.startswith("__"):
                        offenders.append(f"{path.relative_to(SRC)}: {node.module}.{a.name}")
    assert offenders == []
