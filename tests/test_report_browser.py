"""The HTML report in a real headless Chromium (Playwright): loads cleanly, figures render, the
tables hold the JSON output's values, it prints on A4; a screenshot is kept in tests/artifacts/."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
from pathlib import Path

import pytest

import ncs_emg
from ncs_emg.cli import main

FIX = Path(__file__).resolve().parents[1] / "data" / "fixtures"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def _chromium() -> str:
    for cand in (os.environ.get("NCS_EMG_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                 shutil.which("chromium-browser")):  # fmt: skip
        if cand and Path(cand).is_file() and os.access(cand, os.X_OK):
            return cand
    pytest.skip(
        "Chromium not found (looked at $NCS_EMG_CHROMIUM, /usr/bin/chromium, chromium, "
        "chromium-browser on PATH): install it with `apt-get install -y chromium`"
    )


@pytest.fixture(scope="module")
def page_and_doc(tmp_path_factory):
    from playwright.sync_api import sync_playwright

    exe = _chromium()
    tmp = tmp_path_factory.mktemp("report")
    src = FIX / "fwave_ulnar.h5"  # sites, segments and an F-wave train
    out = tmp / "report.html"
    assert main(["report", str(src), "-o", str(out)]) == 0
    doc = json.loads(json.dumps(ncs_emg.analyze(ncs_emg.read_study(src)).to_dict()))
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 900})  # a laptop screen
        errors, outside = [], []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))

        def guard(route):
            if route.request.url.startswith(("file:", "data:", "about:")):
                return route.continue_()
            outside.append(route.request.url)
            return route.abort()

        page.route("**/*", guard)
        page.goto(out.as_uri(), wait_until="load")
        yield page, doc, errors, outside, tmp
        browser.close()


def test_loads_without_console_errors_or_network(page_and_doc):
    page, _, errors, outside, _ = page_and_doc
    assert errors == []
    assert outside == []
    assert page.evaluate("document.scripts.length") == 0
    first = page.evaluate("document.body.firstElementChild.className")
    assert first == "disclaimer"
    assert page.locator(".disclaimer").is_visible()


def test_every_figure_renders_with_a_size(page_and_doc):
    page, doc, *_ = page_and_doc
    svgs = page.locator("figure svg")
    n_nerves = len(doc["nerves"])
    assert svgs.count() == 1 + 3 * n_nerves  # matrix; stack, ladder and F raster per nerve
    for i in range(svgs.count()):
        box = svgs.nth(i).bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 50
    # nothing wider than the laptop viewport (no horizontal scrolling)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _table_values(page, selector):
    return page.evaluate(
        """sel => { const t = document.querySelector(sel);
            const keys = [...t.querySelectorAll('thead th')].map(th => th.dataset.key);
            return [...t.querySelectorAll('tbody tr')].map(tr =>
                Object.fromEntries([...tr.querySelectorAll('td')].map((td, i) =>
                    [keys[i], [JSON.parse(td.dataset.value), td.textContent]]))); }""",
        selector,
    )


def _same(a, b):
    if isinstance(b, float) and isinstance(a, (int, float)) and not isinstance(a, bool):
        return math.isclose(a, b, rel_tol=0, abs_tol=0)
    return a == b


def test_site_and_segment_tables_hold_the_json_values(page_and_doc):
    page, doc, *_ = page_and_doc
    for i, nerve in enumerate(doc["nerves"]):
        sites = _table_values(page, f"#nerve-{i} table.sites")
        assert len(sites) == len(nerve["sites"])
        for row, want in zip(sites, nerve["sites"], strict=True):
            for key, (value, _text) in row.items():
                assert _same(value, want[key]), (key, value, want[key])
            assert row["onset_latency_ms"][1] == f"{want['onset_latency_ms']:.2f}"
        segs = _table_values(page, f"#nerve-{i} table.segments")
        assert len(segs) == len(nerve["segments"]) > 0
        for row, want in zip(segs, nerve["segments"], strict=True):
            for key, (value, _) in row.items():
                assert _same(value, want[key]), (key, value, want[key])


def test_verdict_tables_hold_the_json_summaries(page_and_doc):
    page, doc, *_ = page_and_doc
    study = _table_values(page, "table.study-summary")
    assert [r["criteria"][0] for r in study] == [c["id"] for c in doc["criteria"]]
    for row in study:
        want = doc["summary"][row["criteria"][0]]
        for key in ("conduction_block", "temporal_dispersion", "demyelinating", "territories"):
            assert row[key][0] == want[key]
        assert row["nerves_with_cb"][0] == want["nerves_with_cb"]
    nerve = _table_values(page, "#nerve-0 table.verdicts")
    for row in nerve:
        want = doc["nerves"][0]["summary"][row["criteria"][0]]
        assert row["conduction_block"][0] == want["conduction_block"]


def test_screenshot_and_a4_print(page_and_doc):
    page, _, _, _, tmp = page_and_doc
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report_fwave_ulnar.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert pages >= 2  # the study summary, then each nerve from a new A4 page
    (tmp / "report.pdf").write_bytes(pdf)
    widths = page.evaluate(
        "[...document.querySelectorAll('figure svg')].map(s => s.getBoundingClientRect().width)"
    )
    assert min(widths) > 0
