"""Intake pages in words: category codes as labels, lists with their totals and pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import make_household
from welcomematch.intake import views

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _rules(html: str) -> str:
    """The rules as the page shows them (without the administrators' edit form)."""
    return html.split('id="main"')[1].split('<form method="post" class="card"')[0]


def test_the_rules_page_names_scores_support_needs_and_household_types(
    users: dict[str, Any],
) -> None:
    html = _client(users["coordinator"]).get(reverse("intake:rules")).content.decode()
    rules = _rules(html)
    assert "Beperking → " in rules and "Traumatische achtergrond → " in rules
    assert "Alleenstaande ouder → 2" in rules
    assert "1 – acute problematiek → 4" in rules
    for code in ("disability", "single_parent", "specific_support"):
        assert code not in rules


def test_the_rules_page_is_english_for_an_english_user(users: dict[str, Any]) -> None:
    client = _client(users["coordinator"])
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    rules = _rules(client.get(reverse("intake:rules")).content.decode())
    assert "Single parent → 2" in rules and "1 – acute problems → 4" in rules


def test_the_household_points_table_names_the_support_needs(
    users: dict[str, Any], city: Any
) -> None:
    household = make_household(city)
    url = reverse("intake:household_detail", args=[household.pk])
    html = _client(users["coordinator"]).get(url).content.decode()
    table = html.split('class="data rule"')[1].split("</table>")[0]
    assert "disability" not in table and "trauma</td>" not in table


def test_the_intake_lists_show_their_totals_and_pages(
    users: dict[str, Any], city: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(views, "INTAKE_PAGE_SIZE", 2)
    households = [make_household(city, contact_name=f"Contact {i}") for i in range(5)]
    client = _client(users["coordinator"])
    html = client.get(reverse("intake:index")).content.decode()
    assert "(5 huishoudens)" in html and "(0 groepen)" in html
    assert "Pagina 1 van 3" in html and 'href="?households=2"' in html
    last = client.get(reverse("intake:index"), {"households": 3}).content.decode()
    assert households[0].reference in last and households[-1].reference not in last
