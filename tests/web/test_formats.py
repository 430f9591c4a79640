"""One date format per language and the language's decimal mark, on pages and in charts."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

import welcomematch
from welcomematch import charts
from welcomematch.accounts.models import Role
from welcomematch.reports import rendering
from welcomematch.trial import views as trial_views

TEMPLATES = sorted(Path(welcomematch.__file__).parent.glob("**/templates/**/*.html"))
FORMAT_NAMES = {"DATE_FORMAT", "DATETIME_FORMAT", "SHORT_DATE_FORMAT", "MONTH_DAY_FORMAT"}


def _render(source: str, language: str, **context: Any) -> str:
    with translation.override(language):
        return Template(source).render(Context(context))


def test_pages_write_dates_by_format_name_only() -> None:
    """A hand-written format ("j M Y") gives "Mrt" in Dutch and ISO dates in another place."""
    written = [
        f"{path.name}: {fmt}"
        for path in TEMPLATES
        if "/mail/" not in str(path)
        for fmt in re.findall(r'\|date:"([^"]*)"', path.read_text(encoding="utf-8"))
        if fmt not in FORMAT_NAMES
    ]
    assert written == []


def test_one_date_format_per_language() -> None:
    day = date(2026, 3, 7)
    assert _render('{{ d|date:"DATE_FORMAT" }}', "nl", d=day) == "7 mrt 2026"
    assert _render('{{ d|date:"DATE_FORMAT" }}', "en", d=day) == "7 Mar 2026"
    assert _render('{{ d|date:"MONTH_DAY_FORMAT" }}', "nl", d=date(2026, 5, 1)) == "1 mei"


def test_numbers_have_a_decimal_comma_in_dutch() -> None:
    assert _render("{{ x|floatformat:1 }}", "nl", x=7.84) == "7,8"
    with translation.override("nl"):
        assert rendering._percent(0.078) == "7,8%"
        assert trial_views._percent(0.5) == "50%"
    with translation.override("en"):
        assert rendering._percent(0.078) == "7.8%"


def test_chart_figures_and_axes_use_the_languages_decimal_mark() -> None:
    def draw() -> str:
        return charts.interval_chart(
            title="t",
            estimates=[charts.Estimate(label="e", estimate=0.12, low=-0.05, high=0.3)],
            description="d",
        )

    with translation.override("nl"):
        dutch = draw()
    with translation.override("en"):
        english = draw()
    assert "e: 0,12 (-0,05 – 0,3)" in dutch and ">0,10<" in dutch
    assert "0.1" not in dutch
    assert "e: 0.12 (-0.05 – 0.3)" in english and ">0.10<" in english


@pytest.mark.django_db
def test_the_audit_page_shows_dutch_dates(client: Any, django_user_model: Any) -> None:
    from tests.factories import make_programme, make_user

    admin = make_user(Role.ADMINISTRATOR, programme=make_programme())
    client.force_login(admin)
    html = client.get(reverse("accounts:audit_list")).content.decode()
    assert re.search(r"<td>\d{1,2} (jan|feb|mrt|apr|mei|jun|jul|aug|sep|okt|nov|dec) \d{4} ", html)
