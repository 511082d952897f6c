"""read_values_csv: one row per site, grouped by nerve in file order; malformed rows name line and column."""

from __future__ import annotations

import math

import pytest

from ncs_emg import FormatError, analyze, read_values_csv

HEADER = (
    "nerve,side,muscle,site,segment,distance_mm,onset_latency_ms,neg_peak_amp_mv,"
    "peak_to_peak_amp_mv,neg_area_mv_ms,neg_duration_ms,total_duration_ms"
)


def _write(tmp_path, text, name="v.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_rows_grouped_by_nerve_side_muscle_in_file_order(tmp_path):
    text = "\n".join(
        [
            HEADER + ",min_f_latency_ms,colour",
            "ulnar,R,ADM,wrist,ulnar distal,70,2.5,10,18,25,5,10,28.1,red",
            "median,L,APB,wrist,median distal,70,3.4,8,15,20,5,10,,blue",
            "ulnar,R,ADM,below elbow,ulnar forearm,220,6.5,4,7,10,5.2,10.5,,",
            "Fibular,left,EDB,ankle,peroneal distal,80,4.0,5,9,12,5,10,,",
        ]
    )
    sv = read_values_csv(_write(tmp_path, text))
    assert [(n.nerve, n.side, n.muscle) for n in sv.nerves] == [
        ("ulnar", "right", "ADM"),
        ("median", "left", "APB"),
        ("peroneal", "left", "EDB"),
    ]
    uln = sv.nerves[0]
    assert [s["site"] for s in uln.sites] == ["wrist", "below elbow"] and uln.lines == (2, 4)
    assert uln.min_f_latency_ms == 28.1 and math.isnan(uln.f_persistence_pct)
    assert any("colour" in i for i in sv.issues)  # unknown column reported
    rep = analyze(sv, criteria="katz2002")
    assert rep.nerves[0].summary["katz2002"].conduction_block == "present"  # 60 % amplitude drop


def test_empty_cells_are_missing_values(tmp_path):
    text = HEADER + "\nulnar,R,ADM,wrist,d,70,2.5,10,,,,\nulnar,R,ADM,below elbow,f,220,6.5,9,,,,\n"
    sv = read_values_csv(_write(tmp_path, text))
    assert math.isnan(sv.nerves[0].sites[0]["neg_area_mv_ms"])
    rep = analyze(sv, criteria="katz2002")
    area = [f for f in rep.nerves[0].findings if f.rule == "cb_area"][0]
    assert area.met is None


@pytest.mark.parametrize(
    ("row", "match"),
    [
        ("ulnar,R,ADM,wrist,d,70,2.5,ten,18,25,5,10", r"line 2, column 'neg_peak_amp_mv'.*'ten'"),
        ("ulnar,R,ADM,wrist,d,-70,2.5,10,18,25,5,10", r"line 2, column 'distance_mm'.*>= 0"),
        ("ulnar,R,ADM,wrist,d,70,2.5,10,18,25,5", r"line 2: 11 fields, the header has 12"),
        ("ulnar,X,ADM,wrist,d,70,2.5,10,18,25,5,10", r"line 2, column 'side'"),
        (",R,ADM,wrist,d,70,2.5,10,18,25,5,10", r"line 2, column 'nerve': empty"),
        ("ulnar,R,ADM,wrist,d,70,inf,10,18,25,5,10", r"line 2, column 'onset_latency_ms'"),
    ],
)
def test_malformed_row_names_line_and_column(tmp_path, row, match):
    with pytest.raises(FormatError, match=match):
        read_values_csv(_write(tmp_path, HEADER + "\n" + row + "\n"))


def test_file_level_errors(tmp_path):
    with pytest.raises(FormatError, match="required column 'site'"):
        read_values_csv(_write(tmp_path, "nerve,side\nulnar,R\n"))
    with pytest.raises(FormatError, match="no data rows"):
        read_values_csv(_write(tmp_path, HEADER + "\n"))
    with pytest.raises(FormatError, match="empty file"):
        read_values_csv(_write(tmp_path, ""))
    with pytest.raises(FormatError, match="cannot read"):
        read_values_csv(tmp_path / "missing.csv")
    dup = (
        HEADER
        + "\nulnar,R,ADM,wrist,d,70,2.5,10,18,25,5,10\nulnar,R,ADM,wrist,d,70,2.5,10,18,25,5,10\n"
    )
    with pytest.raises(FormatError, match="line 3.*repeated"):
        read_values_csv(_write(tmp_path, dup))
    conflict = (
        HEADER + ",height_cm\nulnar,R,ADM,wrist,d,70,2.5,10,18,25,5,10,170\n"
        "ulnar,R,ADM,elbow,f,220,6.5,10,18,25,5,10,180\n"
    )
    with pytest.raises(FormatError, match="line 3, column 'height_cm'"):
        read_values_csv(_write(tmp_path, conflict))
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(FormatError, match="not UTF-8"):
        read_values_csv(tmp_path / "bin.csv")


from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from ncs_emg.io.values_csv import parse_values_csv  # noqa: E402

_CELLS = st.sampled_from(
    ["", "ulnar", "R", "ADM", "wrist", "70", "2.5", "-1", "nan", "1e308", "x", '"a,b"']
)


@given(
    rows=st.lists(st.lists(_CELLS, min_size=0, max_size=14), max_size=6), raw=st.text(max_size=60)
)
def test_values_csv_property_result_or_format_error(rows, raw):
    text = HEADER + "\n" + "\n".join(",".join(r) for r in rows) + "\n" + raw
    try:
        sv = parse_values_csv(text, name="p.csv")
    except FormatError as exc:
        assert "p.csv" in str(exc)
        return
    for n in sv.nerves:
        assert n.sites and all(s["site"] for s in n.sites)
    rep = analyze(sv, criteria="katz2002")  # never raises on what the reader accepted
    assert len(rep.nerves) == len(sv.nerves)
