"""Finding: the shared result of one rule on one value (fields, JSON keys, NaN -> None)."""

from __future__ import annotations

import dataclasses
import json
import math

import pytest

from ncs_emg.findings import FINDING_KEYS, Finding


def test_finding_to_dict_has_the_agreed_keys_in_order():
    f = Finding("cb_area_definite", True, 55.0, 50.0, "%", "area -55 %", "EFNS/PNS 2010")
    assert (
        tuple(f.to_dict())
        == FINDING_KEYS
        == (
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
    )


def test_finding_defaults_describe_a_plain_verified_comparison():
    f = Finding("x", None, None, None, "%", "missing", "src")
    assert (f.criteria, f.nerve, f.from_site, f.to_site, f.verified) == ("", None, None, None, True)
    assert dict(f.details) == {}


def test_finding_to_dict_turns_nan_into_none_also_in_details():
    f = Finding(
        "cb",
        None,
        math.nan,
        math.inf,
        "%",
        "not evaluable",
        "s",
        criteria="katz2002",
        nerve="R ulnar (ADM)",
        from_site="wrist",
        to_site="below elbow",
        verified=False,
        details={"amp_d_mv": math.nan, "list": [1.0, math.nan]},
    )
    d = f.to_dict()
    assert d["value"] is None and d["threshold"] is None
    assert d["details"] == {"amp_d_mv": None, "list": [1.0, None]}
    assert d["verified"] is False and d["criteria"] == "katz2002"
    json.dumps(d, allow_nan=False)  # strictly valid JSON


def test_finding_is_frozen():
    f = Finding("x", True, 1.0, 0.5, "mV", "r", "s")
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.met = False  # type: ignore[misc]
    assert dataclasses.replace(f, met=False).met is False
