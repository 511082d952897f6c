"""The :class:`Finding`: one rule (or normal limit) applied to one value.

Every clinical comparison in ncs_emg -- a normal-limit check, a conduction-block rule on one segment, a
step of the eligibility procedure -- returns a :class:`Finding` that carries the rule id, whether it
was met (True / False / None = not evaluable), the compared value and threshold with their unit, a
human-readable reason and the source of the rule. A missing input gives ``met=None`` with a reason,
never a silent "normal" (see ``docs/criteria.md``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Finding", "FINDING_KEYS"]

#: Keys of :meth:`Finding.to_dict`, in output order.
FINDING_KEYS = (
    "criteria",
    "rule",
    "nerve",
    "from_site",
    "to_site",
    "met",
    "value",
    "threshold",
    "unit",
    "reason",
    "source",
    "verified",
    "details",
)


def _json_value(v: Any) -> Any:
    """NaN/inf floats -> None, mappings and sequences recursively (JSON-ready)."""
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, Mapping):
        return {str(k): _json_value(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_json_value(x) for x in v]
    if hasattr(v, "item") and callable(v.item):  # numpy scalar
        return _json_value(v.item())
    return v


@dataclass(frozen=True)
class Finding:
    """The result of applying one rule (or one normal limit) to one value.

    Attributes
    ----------
    rule : str
        Identifier of the rule (e.g. ``"cb_area_definite"``, ``"f_latency_prolonged"``).
    met : bool or None
        True / False, or None when the rule is not evaluable (``reason`` says why).
    value : float or None
        The compared value, in ``unit`` (None when not evaluable).
    threshold : float or None
        The threshold the value was compared with, in ``unit``.
    unit : str
        Unit of ``value`` and ``threshold`` (``"%"``, ``"ms"``, ``"mV"``, ``"m/s"``, ``"% ULN"``,
        ``"% LLN"``, ...).
    reason : str
        Human-readable explanation with the numbers, including why a rule was not evaluable.
    source : str
        Citation of the rule or limit.
    criteria : str
        Criteria-set id (``""`` for a plain normal-limit comparison).
    nerve : str or None
        Nerve label (e.g. ``"R ulnar (ADM)"``), None when not tied to a nerve.
    from_site, to_site : str or None
        The segment (distal site, proximal site) the finding is about; None for nerve-level rules.
    verified : bool
        False when the rule's numbers come from unverified secondary sources.
    details : Mapping
        Extra inputs (limits used, raw values).
    """

    rule: str
    met: bool | None
    value: float | None
    threshold: float | None
    unit: str
    reason: str
    source: str
    criteria: str = ""
    nerve: str | None = None
    from_site: str | None = None
    to_site: str | None = None
    verified: bool = True
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict with the keys of :data:`FINDING_KEYS` (NaN -> None)."""
        d = {k: getattr(self, k) for k in FINDING_KEYS}
        d["details"] = dict(self.details)
        return {k: _json_value(v) for k, v in d.items()}
