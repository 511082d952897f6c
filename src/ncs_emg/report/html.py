"""Building blocks of the HTML report: escaped text, value cells with their exact value, tables."""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["esc", "cell", "table", "meta_list", "fmt_value"]


def esc(text: Any) -> str:
    """HTML-escaped ``str(text)``."""
    return html.escape("" if text is None else str(text), quote=True)


def fmt_value(v: Any, digits: int = 2) -> str:
    """Display text of a value: numbers to ``digits`` decimals, None/NaN as an en dash, bools yes/no."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    if isinstance(v, (list, tuple)):
        return ", ".join(str(x) for x in v)
    return str(v)


def cell(v: Any, *, digits: int = 2, verdict: bool = False) -> str:
    """A ``<td>``: numbers right-aligned with their exact value in ``data-value`` (JSON text)."""
    cls = []
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        cls.append("num")
    if verdict:
        cls.append(f"v-{json.dumps(v).strip(chr(34))}" if not isinstance(v, str) else f"v-{v}")
    jv = v if not (isinstance(v, float) and not math.isfinite(v)) else None
    if isinstance(jv, tuple):
        jv = list(jv)
    attrs = f' data-value="{esc(json.dumps(jv))}"'
    if cls:
        attrs += f' class="{" ".join(cls)}"'
    return f"<td{attrs}>{esc(fmt_value(v, digits))}</td>"


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    keys: Sequence[str] | None = None,
    verdict_cols: Sequence[int] = (),
    cls: str = "",
) -> str:
    """An HTML table; ``keys`` become ``data-key`` on the header cells (the JSON field names)."""
    ks = list(keys) if keys is not None else [None] * len(headers)
    head = "".join(
        f'<th data-key="{esc(k)}">{esc(h)}</th>' if k else f"<th>{esc(h)}</th>"
        for h, k in zip(headers, ks, strict=True)
    )
    body = []
    for r in rows:
        tds = "".join(cell(v, verdict=i in verdict_cols) for i, v in enumerate(r))
        body.append(f"<tr>{tds}</tr>")
    c = f' class="{esc(cls)}"' if cls else ""
    return (
        f'<div class="tablewrap"><table{c}><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def meta_list(items: Iterable[tuple[str, Any]]) -> str:
    """A definition list of (label, value) pairs."""
    inner = "".join(f"<dt>{esc(k)}</dt><dd>{esc(fmt_value(v))}</dd>" for k, v in items)
    return f'<dl class="meta">{inner}</dl>'
