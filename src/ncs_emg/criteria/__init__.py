"""Published conduction-block, dispersion and demyelination criteria, side by side, as data.

Each shipped set is a TOML file in ``ncs_emg/criteria/sets`` (one per publication), read by the same
strict loader as a lab's own file (:func:`criteria_set_from_toml`). :func:`criteria_sets` lists them;
:func:`get_criteria_set` returns one. Sets that cannot be encoded yet exist by name and raise
:class:`~ncs_emg.errors.NotAvailableError`. See ``docs/criteria.md``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from ..errors import NotAvailableError, ParameterError
from .evaluate import FWaveValues, NerveContext, NerveSummary, evaluate_nerve, summarize_nerve
from .model import CriteriaSet, Rule, SegmentClasses, Step, Test, criteria_set_from_dict

__all__ = [
    "SHIPPED",
    "NOT_AVAILABLE",
    "CriteriaSetInfo",
    "CriteriaSet",
    "Rule",
    "Test",
    "Step",
    "SegmentClasses",
    "FWaveValues",
    "NerveContext",
    "NerveSummary",
    "criteria_sets",
    "get_criteria_set",
    "resolve_criteria",
    "criteria_set_from_toml",
    "criteria_set_from_dict",
    "evaluate_nerve",
    "summarize_nerve",
]

#: Ids of the shipped sets, in display order.
SHIPPED: tuple[str, ...] = (
    "katz2002",
    "efns_pns2010_mmn",
    "efns_pns2010_cidp",
    "ean_pns2021_cidp",
    "aan1991",
    "utrecht2006",
    "pfeiffer2000_control",
    "pfeiffer2000_als",
)

#: Named sets that cannot be encoded (id -> (name, why)).
NOT_AVAILABLE: dict[str, tuple[str, str]] = {
    "aaem1999": (
        "AAEM 1999 partial conduction block consensus table",
        "its segment- and nerve-specific table has not been checked against the primary source, so "
        "ncs_emg does not encode it; use efns_pns2010_mmn or a lab criteria file",
    ),
    "mmn_revision": (
        "a revision of the EFNS/PNS 2010 MMN guideline",
        "no revision was found: current work still applies EFNS/PNS 2010 (efns_pns2010_mmn); "
        "ncs_emg will not invent one",
    ),
}


@dataclass(frozen=True)
class CriteriaSetInfo:
    """Identification of a criteria set: ``id``, ``name``, ``source``, ``verified``, ``available``."""

    id: str
    name: str
    source: str
    verified: bool
    available: bool = True

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "id": self.id,
            "name": self.name,
            "source": self.source,
            "verified": self.verified,
            "available": self.available,
        }


def criteria_set_from_toml(text: str, *, where: str = "criteria") -> CriteriaSet:
    """Parse a criteria set from TOML text (strict; :class:`~ncs_emg.errors.FormatError` on any fault).

    Parameters
    ----------
    text : str
        TOML document (layout in ``docs/criteria.md``).
    where : str
        File name used in error messages.

    Returns
    -------
    CriteriaSet
    """
    from ..normative import parse_toml

    return criteria_set_from_dict(parse_toml(text, where=where), where=where)


@functools.cache
def _shipped(set_id: str) -> CriteriaSet:
    from importlib import resources

    text = (resources.files(__package__) / "sets" / f"{set_id}.toml").read_text("utf-8")
    return criteria_set_from_toml(text, where=f"ncs_emg/criteria/sets/{set_id}.toml")


def get_criteria_set(set_id: str) -> CriteriaSet:
    """The shipped criteria set ``set_id``.

    Raises
    ------
    NotAvailableError
        For a named set that is not encoded (``aaem1999``, ``mmn_revision``).
    ParameterError
        For an unknown id (the message lists the valid ones).
    """
    if set_id in NOT_AVAILABLE:
        name, why = NOT_AVAILABLE[set_id]
        raise NotAvailableError(f"criteria set {set_id!r} ({name}) is not available: {why}")
    if set_id not in SHIPPED:
        raise ParameterError(
            f"criteria: unknown set {set_id!r}; valid: {list(SHIPPED)} "
            f"(named but not available: {list(NOT_AVAILABLE)})"
        )
    return _shipped(set_id)


def criteria_sets(*, include_unavailable: bool = False) -> tuple[CriteriaSetInfo, ...]:
    """The shipped criteria sets (id, name, source, verified); optionally the unavailable names too."""
    out = []
    for sid in SHIPPED:
        c = _shipped(sid)
        out.append(CriteriaSetInfo(c.id, c.name, c.source, c.verified))
    if include_unavailable:
        for sid, (name, why) in NOT_AVAILABLE.items():
            out.append(CriteriaSetInfo(sid, name, why, False, available=False))
    return tuple(out)


def resolve_criteria(criteria: Any = None) -> tuple[CriteriaSet, ...]:
    """Sets from ``None`` (all shipped), an id, a :class:`CriteriaSet`, or a sequence of those.

    A comma-separated string of ids is accepted. Raises as :func:`get_criteria_set`.
    """
    if criteria is None:
        return tuple(_shipped(s) for s in SHIPPED)
    if isinstance(criteria, (str, CriteriaSet)):
        criteria = [criteria]
    out = []
    for c in criteria:
        if isinstance(c, CriteriaSet):
            out.append(c)
        elif isinstance(c, str):
            out += [get_criteria_set(s.strip()) for s in c.split(",") if s.strip()]
        else:
            raise ParameterError(f"criteria: expected set ids or CriteriaSet objects, got {c!r}")
    if not out:
        raise ParameterError(f"criteria: no set given ({criteria!r})")
    ids = [c.id for c in out]
    if len(set(ids)) != len(ids):
        raise ParameterError(f"criteria: a set is listed twice: {ids}")
    return tuple(out)
