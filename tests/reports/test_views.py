"""The report page: who may open it, filters, figures and charts on the page, downloads."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.test import Client
from openpyxl import load_workbook

from tests.factories import PASSWORD
from tests.reports.conftest import G, N

pytestmark = pytest.mark.django_db

PAGE = "/reports/"
DOWNLOAD = "/reports/download/"


def _client(world, role: str) -> Client:
    client = Client()
    assert client.login(username=world["users"][role].username, password=PASSWORD)
    return client


@pytest.mark.parametrize(
    ("role", "status"),
    [("administrator", 200), ("coordinator", 200), ("researcher", 200), ("ambassador", 403)],
)
@pytest.mark.parametrize("url", [PAGE, DOWNLOAD + "?format=json"])
def test_who_may_open_the_report(world, role, status, url):
    assert _client(world, role).get(url).status_code == status


def test_anonymous_visitors_are_sent_to_log_in(world):
    response = Client().get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_page_filtered_to_a_city_shows_its_figures_and_one_chart_per_item(world):
    client = _client(world, "coordinator")
    response = client.get(PAGE, {"city": world["almere"].pk, "moment": "midterm"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="matches-made">3<' in html
    charts = re.findall(r"<svg [^>]*role=\"img\"", html)
    assert len(charts) > 10
    assert "<style" not in html.split("<main", 1)[1]  # no inline styles in app pages
    assert " style=" not in html
    # no inline script: only the site's own static files
    assert not re.search(r"<script(?![^>]*\bsrc=\"/static/)", html)
    assert (
        f"/reports/download/?moment=midterm&amp;city={world['almere'].pk}&amp;format=xlsx" in html
    )


def test_downloads_carry_the_filter_and_a_file_name(world):
    client = _client(world, "researcher")
    query = {"city": world["almere"].pk, "moment": "midterm"}
    data = client.get(DOWNLOAD, {**query, "format": "json"})
    assert data["Content-Type"] == "application/json"
    assert (
        data["Content-Disposition"]
        == 'attachment; filename="report-samen-hier-midterm-almere.json"'
    )
    assert json.loads(data.content)["responses"] == {G: 3, N: 2}
    html = client.get(DOWNLOAD, {**query, "format": "html"})
    assert html["Content-Type"].startswith("text/html") and b"<svg" in html.content
    xlsx = client.get(DOWNLOAD, {**query, "format": "xlsx"}, HTTP_ACCEPT_LANGUAGE="nl")
    assert load_workbook(io.BytesIO(xlsx.content)).sheetnames[1] == "Stellingen"
    xlsx = client.get(DOWNLOAD, {**query, "format": "xlsx"}, HTTP_ACCEPT_LANGUAGE="en")
    assert load_workbook(io.BytesIO(xlsx.content)).sheetnames[1] == "Statements"


@pytest.mark.parametrize(
    "query",
    [
        {"format": "pdf"},
        {"format": "json", "moment": "later"},
        {"format": "json", "date_from": "2026-07-01", "date_to": "2026-06-01"},
        {"format": "json", "city": "999999"},
    ],
)
def test_bad_filters_are_a_clear_400_not_a_500(world, query):
    response = _client(world, "coordinator").get(DOWNLOAD, query)
    assert response.status_code == 400
    assert b"<form" in response.content


def test_a_city_of_another_programme_is_refused(world):
    from tests.factories import make_city, make_programme

    other = make_city(make_programme("Elders", "elders"), "Elders")
    response = _client(world, "coordinator").get(PAGE, {"city": other.pk})
    assert response.status_code == 400


def test_the_page_speaks_dutch_by_default(world):
    from django.utils import translation

    with translation.override("nl"):
        client = _client(world, "coordinator")
        client.cookies["django_language"] = "nl"
        html = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "Evaluatierapport" in html


def test_a_stored_answer_that_does_not_fit_is_a_clear_message_not_a_500(world):
    from welcomematch.surveys.models import Answer, Response

    response = Response.objects.filter(moment="midterm", side=G).first()
    Answer.objects.create(response=response, item_code="became_friends", value="bogus")
    client = _client(world, "coordinator")
    page = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 409
    html = page.content.decode()
    assert "do not fit their question" in html and "became_friends" in html and "bogus" in html
    assert client.get(DOWNLOAD, {"format": "json"}).status_code == 409


def test_download_file_name_is_safe_for_any_city_name(world):
    world["almere"].name = 'Den "Bosch"\r\nX: y'
    world["almere"].save()
    response = _client(world, "coordinator").get(
        DOWNLOAD, {"format": "json", "city": world["almere"].pk}
    )
    assert response["Content-Disposition"] == (
        'attachment; filename="report-samen-hier-midterm-den-bosch-x-y.json"'
    )
