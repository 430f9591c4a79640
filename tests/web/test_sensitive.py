"""Health, trauma, support needs, self-sufficiency scores, vulnerability and origin: managers only."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tests.factories import make_group, make_household
from tests.web.helpers import make_match
from welcomematch.accounts.models import Role
from welcomematch.intake.services import household_override_vulnerability

NOTE = "Slaapt slecht sinds de vlucht"
REASON = "Zorgcoordinator vraagt extra steun"


@pytest.fixture
def household(world: dict[str, Any]) -> Any:
    city = world["almere"]
    household = make_household(
        city,
        country_of_origin="SY",
        support_flags={"trauma": True, "disability": False},
        support_notes=NOTE,
        ssm_scores={"mental_health": 2, "housing": 4},
        languages=["ar", "nl"],
        goals=["language", "work"],
        ranking=["with_children", "mixed_ages"],
        cefr_dutch="A2",
    )
    household_override_vulnerability(
        household=household, level=3, reason=REASON, actor=world["users"][Role.COORDINATOR]
    )
    strong_group = make_group(city, willingness=2, experience=2)  # capacity 3
    make_match(strong_group, household, ambassador=world["ambassador"])
    return household


SENSITIVE_MARKERS = (
    'id="sensitive"',
    'data-field="country_of_origin"',
    'data-field="support_flags"',
    'data-field="ssm_scores"',
    'data-field="vulnerability"',
    NOTE,
    REASON,
    "Traumatische achtergrond",  # label of the support flag
    "Geestelijke gezondheid",  # label of the SSM domain
)


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMINISTRATOR])
def test_managers_see_the_sensitive_fields(client_for: Any, household: Any, role: Role) -> None:
    html = client_for(role).get(reverse("web:household_detail", args=[household.pk])).content
    html = html.decode()
    for marker in SENSITIVE_MARKERS:
        assert marker in html, marker
    assert ">Syrië<" in html  # the country by name, in the interface language


def test_ambassador_sees_the_household_without_sensitive_fields(
    client_for: Any, household: Any
) -> None:
    response = client_for(Role.AMBASSADOR).get(reverse("web:household_detail", args=[household.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert household.reference in html
    assert "Arabisch" in html  # the ordinary intake data is there
    for marker in SENSITIVE_MARKERS:
        assert marker not in html, marker
    assert "Syrië" not in html and ">SY<" not in html
    assert "household.vulnerability_overridden" not in html  # no audit trail either


def test_ambassador_cannot_filter_or_sort_by_vulnerability(client_for: Any, household: Any) -> None:
    amb = client_for(Role.AMBASSADOR)
    # A filter that would exclude the household if it were applied is ignored.
    html = amb.get(reverse("web:household_list"), {"vulnerability": "0"}).content.decode()
    assert household.reference in html
    assert 'name="vulnerability"' not in html
    assert 'data-field="vulnerability"' not in html
    assert amb.get(reverse("web:household_list"), {"sort": "-vulnerability"}).status_code == 200


def test_managers_filter_by_the_level_used_for_matching(
    client_for: Any, household: Any, world: Any
) -> None:
    plain = make_household(world["almere"], contact_name="Zonder zorgen")
    coord = client_for(Role.COORDINATOR)
    html = coord.get(reverse("web:household_list"), {"vulnerability": "3"}).content.decode()
    assert household.reference in html and plain.reference not in html
    html = coord.get(reverse("web:household_list"), {"vulnerability": "0"}).content.decode()
    assert household.reference not in html and plain.reference in html


def test_group_capacity_is_for_managers(client_for: Any, household: Any) -> None:
    group = household.matches.get().group
    url = reverse("web:group_detail", args=[group.pk])
    assert 'id="capacity"' in client_for(Role.COORDINATOR).get(url).content.decode()
    assert 'id="capacity"' not in client_for(Role.AMBASSADOR).get(url).content.decode()


def test_the_household_page_shows_scores_languages_and_needs_in_words(
    client_for: Any, household: Any
) -> None:
    url = reverse("web:household_detail", args=[household.pk])
    html = client_for(Role.COORDINATOR).get(url).content.decode()
    scores = html.split('data-field="ssm_scores"')[1].split("</table>")[0]
    assert "2 – niet zelfredzaam" in scores and "4 – voldoende zelfredzaam" in scores
    assert "Arabisch" in html
    for code in ("mental_health", "trauma:", "disability", ">ar<"):
        assert code not in html, code
