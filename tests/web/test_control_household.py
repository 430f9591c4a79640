"""A control household's pages say it is in the trial's control group, not "no matches yet"."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from tests.factories import make_group, make_household
from tests.web.helpers import make_trial
from welcomematch.accounts.models import Role


def _trial(world: Any) -> tuple[Any, Any]:
    group = make_group(world["almere"])
    return make_trial(group, [make_household(world["almere"]), make_household(world["almere"])])


def test_the_household_page_of_a_control_household_says_it_is_in_the_control_group(
    world: Any, client_for: Any
) -> None:
    _treatment, control = _trial(world)
    for role in (Role.COORDINATOR, Role.ADMINISTRATOR):
        response = client_for(role).get(
            reverse("web:household_detail", args=[control.pk]), HTTP_ACCEPT_LANGUAGE="en"
        )
        html = response.content.decode()
        assert 'id="trial-control"' in html
        assert "In the control group of the trial" in html and "Ronde 1" in html
        assert "No matches yet." not in html


def test_a_household_without_a_match_or_a_draw_still_has_no_matches_yet(
    world: Any, client_for: Any
) -> None:
    household = make_household(world["almere"])
    html = (
        client_for(Role.COORDINATOR)
        .get(reverse("web:household_detail", args=[household.pk]), HTTP_ACCEPT_LANGUAGE="en")
        .content.decode()
    )
    assert "No matches yet." in html and 'id="trial-control"' not in html


def test_the_intake_page_of_a_control_household_says_it_is_in_the_control_group(
    world: Any, client_for: Any
) -> None:
    treatment, control = _trial(world)
    client = client_for(Role.COORDINATOR)
    html = client.get(
        reverse("intake:household_detail", args=[control.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "In the control group of the trial" in html
    html = client.get(
        reverse("intake:household_detail", args=[treatment.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert 'id="trial-control"' not in html
