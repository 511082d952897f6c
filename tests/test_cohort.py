"""Cohort statistics: Wilson interval, Fisher exact, Student t (against scipy.stats and by hand),
the shipped reconstruction of the seed study's cohort, and bad tables."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from scipy import stats

import ncs_emg
from ncs_emg.cohort import phenotype_evidence, simon2013_cohort, summarize_cohort, wilson_interval

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "data" / "fixtures" / "cohort" / "simon2013_cohort.csv"


# --- Wilson ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("k", "n"), [(0, 1), (3, 31), (7, 7), (1, 2), (50, 100), (13, 28)])
def test_wilson_matches_scipy(k, n):
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    lo, hi = wilson_interval(k, n)
    assert lo == pytest.approx(ci.low, abs=1e-12)
    assert hi == pytest.approx(ci.high, abs=1e-12)


def test_wilson_by_hand():
    # zero successes: the upper bound is z^2 / (n + z^2) with z = 1.959964
    z2 = 1.959963984540054**2
    lo, hi = wilson_interval(0, 10)
    assert lo == 0.0
    assert hi == pytest.approx(z2 / (10 + z2), abs=1e-12)  # 0.27753
    # half of 4 at 95 %: centre 0.5, half-width z*sqrt(1/16 + z^2/64)/(1 + z^2/4)
    lo, hi = wilson_interval(2, 4)
    half = math.sqrt(z2) * math.sqrt(1 / 16 + z2 / 64) / (1 + z2 / 4)
    assert (lo, hi) == pytest.approx((0.5 - half, 0.5 + half), abs=1e-12)
    assert (lo, hi) == pytest.approx((0.1500, 0.8500), abs=1e-4)


@pytest.mark.parametrize(("k", "n"), [(-1, 3), (4, 3), (0, 0), (True, 3)])
def test_wilson_rejects_bad_counts(k, n):
    with pytest.raises(ncs_emg.ParameterError, match="count"):
        wilson_interval(k, n)


# --- Fisher and t ---------------------------------------------------------------------------------


def _rows(resp, **cols):
    return [
        {"subject_id": f"s{i}", "responder": r, **{k: v[i] for k, v in cols.items()}}
        for i, r in enumerate(resp)
    ]


def test_fisher_against_scipy_and_by_hand():
    # 2 of 2 responders positive, 0 of 9 nonresponders: only the observed table is as extreme,
    # p = C(2,2) C(9,0) / C(11,2) = 1/55
    resp = [True] * 2 + [False] * 9
    s = summarize_cohort(_rows(resp, gm1=[True] * 2 + [False] * 9))
    f = s.feature("gm1")
    assert f.test == "fisher_exact" and f.kind == "categorical"
    assert f.p_value == pytest.approx(1 / 55, abs=1e-12)
    assert f.p_value == pytest.approx(stats.fisher_exact([[2, 0], [0, 9]]).pvalue, abs=1e-12)
    assert f.responders == {"count": 2, "n": 2, "pct": 100.0}
    assert f.nonresponders == {"count": 0, "n": 9, "pct": 0.0}
    assert f.significant is True


def test_fisher_with_missing_values_counts_them():
    resp = [True, True, False, False, False]
    s = summarize_cohort(_rows(resp, x=["yes", None, "no", "yes", None]))
    f = s.feature("x")
    assert f.n_missing == 2
    assert (f.responders["n"], f.nonresponders["n"]) == (1, 2)
    table = [[1, 0], [1, 1]]
    assert f.p_value == pytest.approx(stats.fisher_exact(table).pvalue)
    assert f.statistic is None  # odds ratio is infinite


def test_text_feature_gives_one_table_per_level():
    resp = [True, True, False, False, False, False]
    s = summarize_cohort(_rows(resp, onset=["dul", "dul", "dul", "dll", "dll", "pul"]))
    levels = [f.level for f in s.features]
    assert levels == ["dll", "dul", "pul"]
    dul = s.feature("onset", "dul")
    assert dul.p_value == pytest.approx(stats.fisher_exact([[2, 0], [1, 3]]).pvalue)


def test_student_t_against_scipy_and_by_hand():
    resp = [True] * 3 + [False] * 3
    s = summarize_cohort(_rows(resp, age=[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]))
    f = s.feature("age")
    assert f.test == "student_t" and f.kind == "continuous"
    # by hand: means 2 and 5, both variances 1, pooled SE sqrt(2/3): t = -3/sqrt(2/3) = -3 sqrt(1.5)
    t = -3 * math.sqrt(1.5)
    assert f.statistic == pytest.approx(t, abs=1e-12)
    # two-sided p of Student's t with 4 df in closed form: F(x) = 1/2 + 3/8 u (1 - u^2/12 ... )
    x = abs(t)
    cdf = 0.5 + (3 / 8) * (x / math.sqrt(1 + x * x / 4)) * (1 - x * x / (12 * (1 + x * x / 4)))
    assert f.p_value == pytest.approx(2 * (1 - cdf), abs=1e-12)
    ref = stats.ttest_ind([1, 2, 3], [4, 5, 6], equal_var=True)
    assert (f.statistic, f.p_value) == pytest.approx((ref.statistic, ref.pvalue), abs=1e-12)
    assert f.responders == {"n": 3, "mean": 2.0, "sd": 1.0}


def test_student_t_needs_two_values_per_group_and_some_spread():
    s = summarize_cohort(_rows([True, False, False], age=[1.0, 2.0, 3.0]))
    f = s.feature("age")
    assert f.p_value is None and "per group" in f.reason
    s = summarize_cohort(_rows([True, True, False, False], age=[1.0, 1.0, 2.0, 2.0]))
    f = s.feature("age")
    assert f.p_value is None and f.statistic is None and "no spread" in f.reason
    assert f.responders == {"n": 2, "mean": 1.0, "sd": 0.0}


def test_response_from_before_after_scores():
    rows = [
        {
            "subject_id": "a",
            "emrcss_before": 80,
            "emrcss_after": 82,
            "nss_before": 40,
            "nss_after": 40,
        },
        {
            "subject_id": "b",
            "emrcss_before": 80,
            "emrcss_after": 81,
            "nss_before": 40,
            "nss_after": 41,
        },
        {
            "subject_id": "c",
            "emrcss_before": 80,
            "emrcss_after": 70,
            "nss_before": 40,
            "nss_after": 43,
        },
        {"subject_id": "d", "emrcss_before": 80, "emrcss_after": 81},
    ]
    s = summarize_cohort(rows)
    assert s.response_from == "scores"
    assert (s.response.count, s.response.n) == (2, 3)
    assert len(s.issues) == 1 and "'d'" in s.issues[0]


def test_dataframe_and_parquet_inputs(tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    df = pd.read_csv(FIXTURE)
    from_df = summarize_cohort(df)
    path = tmp_path / "c.parquet"
    df.to_parquet(path)
    from_pq = summarize_cohort(path)
    from_csv = summarize_cohort(FIXTURE)
    for s in (from_df, from_pq):
        assert s.response == from_csv.response
        assert [f.p_value for f in s.features] == [f.p_value for f in from_csv.features]


def test_dataframe_with_nullable_dtypes():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(
        {
            "subject_id": ["a", "b", "c", "d"],
            "responder": pd.array([True, True, False, False], dtype="boolean"),
            "gm1": pd.array([True, pd.NA, False, False], dtype="boolean"),
            "age": pd.array([40, 50, pd.NA, 70], dtype="Int64"),
        }
    )
    s = summarize_cohort(df)
    assert s.feature("gm1").n_missing == 1
    assert s.feature("gm1").responders == {"count": 1, "n": 1, "pct": 100.0}
    assert s.feature("age").kind == "continuous" and s.feature("age").n_missing == 1


# --- bad tables -----------------------------------------------------------------------------------


def test_no_responder_column_is_an_error():
    with pytest.raises(ncs_emg.FormatError, match="no response column"):
        summarize_cohort([{"subject_id": "a", "age": 3}])


def test_empty_cohort_is_an_error(tmp_path):
    with pytest.raises(ncs_emg.ParameterError, match="empty"):
        summarize_cohort([])
    p = tmp_path / "e.csv"
    p.write_text("subject_id,responder\n")
    with pytest.raises(ncs_emg.ParameterError, match=r"e\.csv.*empty"):
        summarize_cohort(p)


def test_patient_twice_is_an_error():
    rows = _rows([True, False], x=[1.0, 2.0])
    rows[1]["subject_id"] = "s0"
    with pytest.raises(ncs_emg.FormatError, match="'s0' appears more than once"):
        summarize_cohort(rows)


def test_bad_responder_value_and_mixed_column_are_errors():
    with pytest.raises(ncs_emg.FormatError, match="responder = 'maybe'"):
        summarize_cohort([{"subject_id": "a", "responder": "maybe"}])
    with pytest.raises(ncs_emg.FormatError, match="column 'x' mixes"):
        summarize_cohort(_rows([True, False], x=["high", 3.0]))


def test_unknown_feature_and_file_type():
    with pytest.raises(ncs_emg.ParameterError, match="unknown column 'nope'"):
        summarize_cohort(_rows([True, False], x=[1.0, 2.0]), features=["nope"])
    with pytest.raises(ncs_emg.FormatError, match=r"\.xlsx"):
        summarize_cohort("cohort.xlsx")


# --- the shipped reconstruction of the seed cohort ------------------------------------------------


def test_shipped_table_is_the_fixture():
    text = (ROOT / "src" / "ncs_emg" / "data" / "simon2013_cohort.csv").read_text()
    assert text == FIXTURE.read_text()
    assert len(simon2013_cohort()) == 31


def test_fixture_response_rate_and_interval_are_what_the_counts_give():
    s = summarize_cohort(FIXTURE)
    assert (s.response.count, s.response.n) == (3, 31)
    lo, hi = wilson_interval(3, 31)
    assert (s.response.ci_low_pct, s.response.ci_high_pct) == pytest.approx((100 * lo, 100 * hi))
    # the paper prints 9.7 %, 95 % CI 3.3 %-24.9 % (Wilson): the counts reproduce it
    assert round(s.response.pct, 1) == 9.7
    assert (round(s.response.ci_low_pct, 1), round(s.response.ci_high_pct, 1)) == (3.3, 24.9)


def test_fixture_diagnoses_among_nonresponders():
    s = summarize_cohort(FIXTURE)
    by = {d.diagnosis: d for d in s.diagnoses}
    assert {k: by[k].nonresponders for k in ("als", "pma", "probable_pma")} == {
        "als": 12,
        "pma": 9,
        "probable_pma": 7,
    }
    assert [round(by[k].pct_of_nonresponders) for k in ("als", "pma", "probable_pma")] == [
        43,
        32,
        25,
    ]


def test_fixture_distal_upper_limb_onset_rate_differs_from_the_printed_33_pct():
    s = summarize_cohort(FIXTURE)
    f = s.feature("onset_region", "distal_upper_limb")
    assert f.responders["count"] + f.nonresponders["count"] == 16
    responded = f.responders["count"] / (f.responders["count"] + f.nonresponders["count"])
    assert responded == pytest.approx(3 / 16)  # 18.75 %, not the printed 33 %


def test_evidence_statement_is_computed_from_the_table():
    ev = phenotype_evidence()
    assert (ev.overall.count, ev.overall.n) == (3, 31)
    assert (ev.with_phenotype.count, ev.with_phenotype.n) == (3, 7)
    assert (ev.without_phenotype.count, ev.without_phenotype.n) == (0, 24)
    # hypergeometric by hand: only the observed table is as extreme: C(7,3)/C(31,3) = 35/4495
    assert ev.fisher_p == pytest.approx(35 / 4495, abs=1e-12)
    assert "3 of 31" in ev.statement and "3 of 7" in ev.statement and "Class IV" in ev.statement
    # a different table gives a different statement: nothing is typed in
    rows = simon2013_cohort()
    rows[3]["responder"] = True  # N01 (full phenotype) made a responder
    ev2 = phenotype_evidence(rows)
    assert "4 of 31" in ev2.statement and "4 of 7" in ev2.statement
