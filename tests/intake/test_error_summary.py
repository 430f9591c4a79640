"""Long forms start with a summary of their errors linking to each field; ranking selects
have names."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _summary(html: str) -> str:
    found = re.search(r'<div class="error-summary card" role="alert".*?</div>', html, re.S)
    assert found, "no error summary"
    return found.group(0)


def _links_reach_fields(html: str, summary: str) -> list[str]:
    targets = re.findall(r'<a href="#([^"]+)">', summary)
    assert targets
    for target in targets:
        assert f'id="{target}"' in html, target
    return targets


def test_the_household_form_summarises_its_errors_with_links_to_the_fields(
    users: dict[str, Any], city: Any
) -> None:
    response = _client(users["coordinator"]).post(reverse("intake:household_new"), {"x": "1"})
    html = response.content.decode()
    assert response.status_code == 200
    summary = _summary(html)
    assert "Verbetert u het volgende" in summary
    assert html.index("error-summary") < html.index('class="card section-')
    targets = _links_reach_fields(html, summary)
    assert len(targets) > 1


def test_the_new_round_form_has_the_summary_too(users: dict[str, Any]) -> None:
    response = _client(users["coordinator"]).post(
        reverse("matching:round_create"), {"name": "", "max_distance_km": "far"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    _links_reach_fields(html, _summary(html))


def test_a_form_without_errors_has_no_summary(users: dict[str, Any]) -> None:
    html = _client(users["coordinator"]).get(reverse("intake:household_new")).content.decode()
    assert "error-summary" not in html


def test_every_ranking_select_has_an_accessible_name(users: dict[str, Any]) -> None:
    html = _client(users["coordinator"]).get(reverse("intake:household_new")).content.decode()
    ranking = re.search(r'<ol class="rank">.*?</ol>', html, re.S)
    assert ranking is not None
    selects = re.findall(r"<select[^>]*>", ranking.group(0))
    assert len(selects) > 1
    names = [re.search(r'aria-label="([^"]+)"', s) for s in selects]
    assert all(names)
    assert [n.group(1) for n in names[:3] if n] == ["1e keuze", "2e keuze", "3e keuze"]
