"""HTML report content without a browser: structure, self-containment, CLI behaviour."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import ncs_emg
from ncs_emg.cli import main
from ncs_emg.report import DISCLAIMER_HTML, render_report

FIX = Path(__file__).resolve().parents[1] / "data" / "fixtures"
CLINICAL = FIX / "cohort" / "patient_mmn_like.toml"


@pytest.fixture(scope="module")
def block_html():
    study = ncs_emg.read_study(FIX / "block_ulnar.h5")
    rep = ncs_emg.analyze(study)
    return study, rep, render_report(study, rep, file="block_ulnar.h5")


def test_disclaimer_comes_first_and_nothing_is_fetched_or_run(block_html):
    _, _, html = block_html
    body = html[html.index("<body>") + len("<body>") :]
    assert body.startswith("<p class='disclaimer'")
    assert DISCLAIMER_HTML.split(".")[0] in body[:300]
    assert "<script" not in html.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html)  # no network resource
    assert "@media print" in html and "size: A4" in html


def test_sections_and_figures(block_html):
    study, rep, html = block_html
    for sid in ("study", "summary", "nerve-0", "issues", "software"):
        assert f"id='{sid}'" in html or f'id="{sid}"' in html
    assert "id='eligibility'" not in html  # no clinical file given
    assert html.count("<figure") == 1 + 2 * len(rep.nerves)  # matrix + stack + ladder per nerve
    assert html.count("<svg") == html.count("<figure")
    ids = re.findall(r'<clipPath id="([^"]+)"', html)
    assert len(ids) == len(set(ids))  # inline SVGs must not share element ids
    assert ncs_emg.__version__ in html


def test_verdict_rows_name_driving_numbers_and_sources(block_html):
    _, rep, html = block_html
    nr = rep.nerves[0]
    s = nr.summary["efns_pns2010_mmn"]
    assert s.conduction_block == "definite"
    seg = next(g for g in nr.segments if (g.from_site, g.to_site) == ("wrist", "below elbow"))
    assert f"wrist→below elbow cb_definite: {seg.area_reduction_pct:.2f} %" in html or (
        f"wrist→below elbow cb_definite: {seg.amp_reduction_pct:.2f} %" in html
    )
    src = next(c.source for c in rep.criteria if c.id == "efns_pns2010_mmn")
    assert src.replace("'", "&#x27;").replace("&", "&amp;")[:40] in html


def test_fwave_section_for_a_nerve_with_a_train():
    study = ncs_emg.read_study(FIX / "fwave_ulnar.h5")
    html = render_report(study)
    assert "<h3>F-waves</h3>" in html and 'class="fwave"' in html


def test_cli_report_with_clinical_file(tmp_path, capsys):
    out = tmp_path / "r.html"
    rc = main(["report", str(FIX / "block_ulnar.h5"), "--clinical", str(CLINICAL), "-o", str(out)])
    assert rc == 0
    html = out.read_text()
    assert "id='eligibility'" in html and "mmn_candidate" in html
    assert not list(tmp_path.glob(".*.tmp"))


def test_cli_report_errors(tmp_path, capsys):
    assert main(["report", str(tmp_path / "missing.h5"), "-o", str(tmp_path / "r.html")]) == 1
    assert "missing.h5" in capsys.readouterr().err
    bad = tmp_path / "nodir" / "r.html"
    assert main(["report", str(FIX / "normal_median.h5"), "-o", str(bad)]) == 1
    assert not bad.exists()
    with pytest.raises(ncs_emg.ParameterError):
        render_report(None)


def test_readme_test_command_is_what_ci_runs_and_installs_chromium():
    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text()
    cmd = next(ln for ln in readme.splitlines() if "pytest" in ln and "pip install" in ln)
    ci = (root / ".ci" / "run").read_text().splitlines()
    assert cmd in ci
    assert cmd.startswith("(command -v chromium") and "apt-get install -y -qq chromium" in cmd


def test_cli_report_from_a_values_csv_has_tables_but_no_waveforms(tmp_path):
    out = tmp_path / "v.html"
    src = FIX / "cohort" / "values_forearm_cb.csv"
    assert main(["report", str(src), "-o", str(out)]) == 0
    html = out.read_text()
    rep = ncs_emg.analyze(ncs_emg.read_values_csv(src))
    assert html.count('class="sites"') == len(rep.nerves)
    assert "CMAPs by stimulation site" not in html  # no waveform stack without waveforms
    assert html.count("<figure") == 1 + sum(len(n.sites) > 1 for n in rep.nerves)
