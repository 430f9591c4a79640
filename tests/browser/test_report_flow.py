"""A coordinator opens the evaluation report for one city in Chromium and downloads it."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from tests.browser.conftest import log_in
from tests.factories import PASSWORD, make_city, make_programme
from tests.intake.exports import csv_bytes
from welcomematch.accounts.models import Role
from welcomematch.accounts.services import user_create
from welcomematch.surveys.catalogue import install_shipped_instruments
from welcomematch.surveys.importing import run_import
from welcomematch.surveys.models import Instrument, Item

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _import(programme, side, rows):
    report = run_import(
        programme=programme,
        moment="midterm",
        side=side,
        files=[("export.csv", csv_bytes(rows))],
        actor=None,
        dry_run=False,
    )
    assert report["committed"], report


def test_coordinator_opens_the_city_report_and_downloads_html_and_xlsx(page, tmp_path):
    # Transactional tests empty the database between tests, data migrations included.
    install_shipped_instruments(Instrument, Item)
    programme = make_programme()
    almere = make_city(programme, "Almere")
    make_city(programme, "Utrecht")
    user_create(username="carla", password=PASSWORD, role=Role.COORDINATOR, programme=programme)
    _import(
        programme,
        "group_member",
        [
            ["_uuid", "city", "trust_match", "would_recommend"],
            ["g1", "Almere", "strongly_agree", "yes"],
            ["g2", "Almere", "somewhat_agree", "yes"],
            ["g3", "Utrecht", "strongly_disagree", "no"],
        ],
    )
    _import(
        programme,
        "newcomer",
        [
            ["_uuid", "city", "trust_match", "dutch_cefr", "work_status"],
            ["n1", "Almere", "strongly_agree", "B1", "part_time volunteer"],
            ["n2", "Utrecht", "neutral", "A1", "looking"],
        ],
    )

    page.set_viewport_size({"width": 360, "height": 800})
    log_in(page, "carla", PASSWORD)
    page.get_by_role("button", name="Menu").click()  # the navigation is folded on a phone
    page.get_by_role("link", name="Rapport").click()
    page.select_option("#id_moment", "midterm")
    page.select_option("#id_city", str(almere.pk))
    page.get_by_role("button", name="Tonen").click()
    page.wait_for_selector("#responses-title")
    main = page.inner_text("main")
    assert "Almere" in main
    rows = page.inner_text("#responses-table tbody")
    assert re.search(r"Groepsleden\s+2\b", rows) and re.search(r"Nieuwkomers\s+1\b", rows)
    charts = page.locator("main svg[role=img]")
    assert charts.count() >= 10
    assert page.evaluate("document.documentElement.scrollWidth") <= 362  # usable at 360 px

    with page.expect_download() as html_download:
        page.get_by_role("link", name="HTML-rapport").click()
    html_path = tmp_path / "report.html"
    html_download.value.save_as(html_path)
    assert html_download.value.suggested_filename == "report-samen-hier-midterm-almere.html"
    html = html_path.read_text(encoding="utf-8")
    assert html.count('role="img"') == charts.count()
    assert set(re.findall(r"https?://[^\"'\s<>]+", html)) == {"http://www.w3.org/2000/svg"}

    with page.expect_download() as xlsx_download:
        page.get_by_role("link", name="Spreadsheet (XLSX)").click()
    xlsx_path = tmp_path / "report.xlsx"
    xlsx_download.value.save_as(xlsx_path)
    workbook = load_workbook(io.BytesIO(xlsx_path.read_bytes()))
    summary = dict(workbook.worksheets[0].iter_rows(values_only=True))
    assert summary["Gemeente"] == "Almere"
    assert summary["Groepsleden: reacties"] == 2

    # The downloaded file opens on its own, offline, with its charts.
    offline = page.context.browser.new_context(offline=True)
    try:
        report_page = offline.new_page()
        report_page.goto(html_path.as_uri())
        assert report_page.locator("svg[role=img]").count() == charts.count()
    finally:
        offline.close()
