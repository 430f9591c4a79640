"""A researcher opens the trial page in Chromium, reads the balance table and an outcome's
analysis, and downloads the research export; an ambassador cannot open the page."""

from __future__ import annotations

import io
import zipfile

import pytest

from tests.browser.conftest import log_in
from tests.factories import PASSWORD
from tests.trial.fixtures import build_trial
from welcomematch.accounts.models import AuditEvent
from welcomematch.core.trial import parse_trial_csv

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_researcher_reads_the_trial_page_and_downloads_the_research_export(page):
    trial = build_trial(answer_controls=2)
    page.set_viewport_size({"width": 360, "height": 800})
    log_in(page, "researcher-user", PASSWORD)
    response = page.goto("/trial/study/")
    assert response is not None and response.status == 200

    balance = page.inner_text("#balance")
    assert "Land van herkomst" in balance and "Leeftijd van de hoofdpersoon" in balance
    assert "Syri" in balance  # the country named, not its code
    assert "Balans van de armen bij de intake" in page.inner_text("main")
    outcome = page.locator("article.outcome").first
    assert "Vooruitgang Nederlands" in outcome.inner_text()
    assert outcome.locator("svg[role=img]").count() == 1
    assert outcome.locator(".summary-text").inner_text().strip()
    assert page.is_visible("#response-warning")
    assert page.query_selector("#follow-up") is None
    for unit in trial["units"]:
        assert unit.household.contact_name not in page.inner_text("main")
    # Usable at 360 px: nothing wider than the screen outside the scrolling tables.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    with page.expect_download() as download_info:
        page.click("#research-export")
    download = download_info.value
    assert download.suggested_filename == "trial-research-samen-hier.zip"
    with open(download.path(), "rb") as handle:
        archive = zipfile.ZipFile(io.BytesIO(handle.read()))
    data = parse_trial_csv(archive.read("trial.csv").decode("utf-8"))
    assert len(data.rows) == 6 and "codebook.csv" in archive.namelist()
    assert AuditEvent.objects.filter(action="trial.research_exported").count() == 1


def test_an_ambassador_cannot_open_the_trial_page(page):
    build_trial()
    log_in(page, "ambassador-user", PASSWORD)
    response = page.goto("/trial/study/")
    assert response is not None and response.status == 403
    assert "Balans" not in page.content()
