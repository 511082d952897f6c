"""EMRCSS and NSS totals, and the seed study's response rule (+2 points in either score)."""

from __future__ import annotations

import pytest

import ncs_emg
from ncs_emg.cohort import response_from_changes
from ncs_emg.eligibility.clinical import EMRCSS_GROUPS, clinical_from_dict


def _strength(mrc_by_group, visit="before"):
    return [
        {"muscle_group": g, "side": s, "mrc": mrc_by_group.get(g, 5), "visit": visit}
        for g in EMRCSS_GROUPS
        for s in ("left", "right")
    ]


def _nss(scores, visit="before"):
    return [{"item": f"item{i + 1}", "score": s, "visit": visit} for i, s in enumerate(scores)]


def test_emrcss_full_strength_is_100_and_weakness_subtracts():
    c = clinical_from_dict({"subject_id": "x", "strength": _strength({})})
    assert ncs_emg.emrcss_score(c.strength).total == 100.0
    c = clinical_from_dict({"subject_id": "x", "strength": _strength({"deltoid": 3, "biceps": 0})})
    # 100 - 2x(5-3) - 2x(5-0) = 86
    assert ncs_emg.emrcss_score(c.strength).total == 86.0


def test_emrcss_with_a_missing_row_is_unknown_and_names_it():
    rows = _strength({})[:-1]  # drops extensor_hallucis_longus/right
    c = clinical_from_dict({"subject_id": "x", "strength": rows})
    s = ncs_emg.emrcss_score(c.strength)
    assert s.total is None
    assert s.missing == ("extensor_hallucis_longus/right",)
    assert s.n_rows == 19


def test_nss_twenty_items_sum_to_at_most_60():
    c = clinical_from_dict({"subject_id": "x", "nss": _nss([3] * 20)})
    assert ncs_emg.nss_score(c.nss).total == 60.0
    c = clinical_from_dict({"subject_id": "x", "nss": _nss([3] * 10 + [1] * 10)})
    assert ncs_emg.nss_score(c.nss).total == 40.0
    c = clinical_from_dict({"subject_id": "x", "nss": _nss([2] * 19)})
    s = ncs_emg.nss_score(c.nss)
    assert s.total is None and s.missing == ("1 of 20 items",)


def test_nss_more_than_twenty_items_is_an_error():
    c = clinical_from_dict({"subject_id": "x", "nss": _nss([1] * 21)})
    with pytest.raises(ncs_emg.ParameterError, match="21 items"):
        ncs_emg.nss_score(c.nss)


def test_visit_must_be_before_or_after():
    with pytest.raises(ncs_emg.ParameterError, match="visit"):
        ncs_emg.emrcss_score((), visit="during")


@pytest.mark.parametrize(
    ("d_emrcss", "d_nss", "expected"),
    [
        (2.0, 0.0, True),  # exactly +2 counts ("increase of >= 2")
        (1.9, 1.9, False),
        (0.0, 2.0, True),
        (-3.0, 5.0, True),  # either score suffices
        (1.0, None, None),  # the other could still show +2
        (2.5, None, True),
        (None, None, None),
    ],
)
def test_response_rule_two_points_in_either(d_emrcss, d_nss, expected):
    assert response_from_changes(d_emrcss, d_nss) is expected


def test_response_from_rows_of_both_visits():
    rows = _strength({"finger_abductors": 2}) + _strength({"finger_abductors": 3}, "after")
    c = clinical_from_dict(
        {"subject_id": "x", "strength": rows, "nss": _nss([2] * 20) + _nss([2] * 20, "after")}
    )
    r = ncs_emg.score_response(c)
    assert r.emrcss_before.total == 94.0 and r.emrcss_after.total == 96.0
    assert r.emrcss_change == 2.0 and r.nss_change == 0.0
    assert r.improved is True
    assert r.emrcss_before.origin == "rows"


def test_given_totals_are_used_and_disagreement_reported():
    c = clinical_from_dict(
        {
            "subject_id": "x",
            "strength": _strength({}),
            "response": {
                "emrcss_before": 90,
                "emrcss_after": 91,
                "nss_before": 40,
                "nss_after": 41,
            },
        }
    )
    r = ncs_emg.score_response(c)
    assert r.emrcss_before.total == 90.0 and r.emrcss_before.origin == "given"
    assert r.improved is False
    assert len(r.issues) == 1 and "add up to 100" in r.issues[0]


def test_unknown_scores_give_unknown_response():
    r = ncs_emg.score_response(
        clinical_from_dict({"subject_id": "x", "response": {"nss_before": 3}})
    )
    assert r.improved is None
    assert r.nss_after.origin == "unknown" and r.nss_after.total is None
