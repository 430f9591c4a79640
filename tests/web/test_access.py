"""Who may open which URL: one user per role, one table per view."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tests.factories import make_group, make_household
from tests.web.helpers import make_match
from welcomematch.accounts.models import Role

ANON = None
ADMIN, COORD, AMB, RES = Role.ADMINISTRATOR, Role.COORDINATOR, Role.AMBASSADOR, Role.RESEARCHER

#: view → {role: expected status}; 302 means "sent to the login page".
LIST_ACCESS = {
    "web:dashboard": {ANON: 302, RES: 200, AMB: 200, COORD: 200, ADMIN: 200},
    "web:group_list": {ANON: 302, RES: 403, AMB: 200, COORD: 200, ADMIN: 200},
    "web:household_list": {ANON: 302, RES: 403, AMB: 200, COORD: 200, ADMIN: 200},
}
#: detail pages of a record the ambassador is *not* assigned to, and of one they are.
DETAIL_ACCESS_OTHER = {ANON: 302, RES: 403, AMB: 403, COORD: 200, ADMIN: 200}
DETAIL_ACCESS_OWN = {ANON: 302, RES: 403, AMB: 200, COORD: 200, ADMIN: 200}


def _cases(table: dict[str, dict[Any, int]]) -> list[tuple[str, Any, int]]:
    return [(view, role, status) for view, row in table.items() for role, status in row.items()]


@pytest.mark.parametrize(("view", "role", "status"), _cases(LIST_ACCESS))
def test_who_may_open_the_pages(client_for: Any, view: str, role: Any, status: int) -> None:
    response = client_for(role).get(reverse(view))
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith(reverse("login"))


@pytest.fixture
def records(world: dict[str, Any]) -> dict[str, Any]:
    city = world["almere"]
    own_group, own_household = make_group(city, name="Eigen"), make_household(city)
    other_group, other_household = make_group(city, name="Ander"), make_household(city)
    make_match(own_group, own_household, ambassador=world["ambassador"])
    make_match(other_group, other_household)
    return {
        "own": {"group": own_group, "household": own_household},
        "other": {"group": other_group, "household": other_household},
    }


@pytest.mark.parametrize("kind", ["group", "household"])
@pytest.mark.parametrize(
    ("which", "table"), [("other", DETAIL_ACCESS_OTHER), ("own", DETAIL_ACCESS_OWN)]
)
def test_who_may_open_a_record(
    client_for: Any, records: dict[str, Any], kind: str, which: str, table: dict[Any, int]
) -> None:
    url = reverse(f"web:{kind}_detail", args=[records[which][kind].pk])
    for role, status in table.items():
        response = client_for(role).get(url)
        assert response.status_code == status, (role, response.status_code)


def test_a_record_that_does_not_exist_is_not_found(client_for: Any, world: Any) -> None:
    assert client_for(COORD).get(reverse("web:household_detail", args=[999])).status_code == 404


def test_ambassador_lists_only_the_participants_of_their_own_matches(
    client_for: Any, records: dict[str, Any]
) -> None:
    groups = client_for(AMB).get(reverse("web:group_list")).content.decode()
    assert records["own"]["group"].reference in groups
    assert records["other"]["group"].reference not in groups
    households = client_for(AMB).get(reverse("web:household_list")).content.decode()
    assert records["own"]["household"].reference in households
    assert records["other"]["household"].reference not in households


def test_navigation_shows_only_pages_the_role_may_open(client_for: Any) -> None:
    researcher = client_for(RES).get(reverse("web:dashboard")).content.decode()
    assert reverse("web:household_list") not in researcher
    coordinator = client_for(COORD).get(reverse("web:dashboard")).content.decode()
    assert f'href="{reverse("web:household_list")}"' in coordinator
    assert f'href="{reverse("web:group_list")}"' in coordinator


def test_researchers_see_dashboard_figures_without_links_to_participants(
    client_for: Any, records: Any
) -> None:
    html = client_for(RES).get(reverse("web:dashboard")).content.decode()
    assert "?city=" not in html
    assert 'data-stage="matched"' in html
