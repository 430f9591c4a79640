"""A coordinator's override of a derived level is what a round matches on."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tests.factories import make_city, make_group, make_household, make_programme, make_user
from welcomematch.accounts.models import Role
from welcomematch.intake.services import (
    ERR_OVERRIDE_REASON,
    group_override_capacity,
    household_override_vulnerability,
)
from welcomematch.matching import services
from welcomematch.matching.models import Proposal

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    programme = make_programme()
    city = make_city(programme)
    coordinator = make_user(Role.COORDINATOR, programme=programme)
    group = make_group(city, willingness=0, experience=0)  # derived capacity 0
    fragile = make_household(city, support_flags={"trauma": True, "disability": True})
    assert fragile.vulnerability > group.capacity
    return programme, coordinator, group, fragile


def _run(programme, coordinator):
    rnd = services.round_create(
        programme=programme, name="R", actor=coordinator, control_arm=False, seed=1
    )
    return services.round_run(round=rnd, actor=coordinator)


def test_a_vulnerability_override_is_the_level_in_the_round_input(setup):
    programme, coordinator, _group, fragile = setup
    household_override_vulnerability(
        household=fragile, level=0, reason="Support arranged elsewhere", actor=coordinator
    )
    rnd = _run(programme, coordinator)
    [row] = rnd.round_file["households"]
    assert row["vulnerability"] == 0
    assert Proposal.objects.get(round=rnd).household == fragile


def test_a_capacity_override_is_the_level_in_the_round_input(setup):
    programme, coordinator, group, fragile = setup
    group_override_capacity(
        group=group,
        level=fragile.vulnerability,
        reason="Two care workers joined",
        actor=coordinator,
    )
    rnd = _run(programme, coordinator)
    [row] = rnd.round_file["groups"]
    assert row["capacity"] == fragile.vulnerability
    assert Proposal.objects.get(round=rnd).group == group


def test_clearing_an_override_brings_back_the_derived_level(setup):
    programme, coordinator, _group, fragile = setup
    household_override_vulnerability(household=fragile, level=0, reason="x", actor=coordinator)
    household_override_vulnerability(household=fragile, level=None, reason="", actor=coordinator)
    rnd = _run(programme, coordinator)
    assert rnd.round_file["households"][0]["vulnerability"] == fragile.vulnerability
    assert not Proposal.objects.filter(round=rnd).exists()


@pytest.mark.parametrize("reason", ["", "   "])
def test_an_override_needs_a_written_reason(setup, reason):
    _programme, coordinator, group, fragile = setup
    with pytest.raises(ValidationError) as error:
        household_override_vulnerability(
            household=fragile, level=0, reason=reason, actor=coordinator
        )
    assert error.value.message_dict == {"vulnerability_override_reason": [ERR_OVERRIDE_REASON]}
    with pytest.raises(ValidationError) as error:
        group_override_capacity(group=group, level=2, reason=reason, actor=coordinator)
    assert error.value.message_dict == {"capacity_override_reason": [ERR_OVERRIDE_REASON]}
    fragile.refresh_from_db()
    group.refresh_from_db()
    assert fragile.vulnerability_override is None and group.capacity_override is None
