"""Confirming a round checks every proposed pair again against the data as it is now.

Each test changes one thing after the run through the service that changes it in real life,
then confirming is refused with what changed, naming the pair, and nothing is written.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    PASSWORD,
    make_city,
    make_group,
    make_household,
    make_programme,
    make_user,
)
from welcomematch.accounts.models import Role
from welcomematch.i18n import message
from welcomematch.intake.models import Exclusion
from welcomematch.intake.services import (
    group_override_capacity,
    household_override_vulnerability,
    household_update,
)
from welcomematch.lifecycle.models import Match
from welcomematch.matching import selectors, services
from welcomematch.matching.models import Proposal, ProposalRole, RoundStatus
from welcomematch.trial.models import ControlAssignment

pytestmark = pytest.mark.django_db

HERE = (52.3700, 5.2200)
NEARBY = (52.3750, 5.2340)  # ~1.1 km from HERE
FAR = (51.9244, 4.4777)  # Rotterdam, ~60 km


@pytest.fixture
def world():
    programme = make_programme()
    city = make_city(programme)
    coordinator = make_user(Role.COORDINATOR, programme=programme)
    group = make_group(city, lat=HERE[0], lon=HERE[1], willingness=2, experience=2)
    household = make_household(city, lat=NEARBY[0], lon=NEARBY[1], contact_name="Amal")
    rnd = services.round_create(
        programme=programme, name="R1", actor=coordinator, control_arm=False, seed=5
    )
    rnd = services.round_run(round=rnd, actor=coordinator)
    assert Proposal.objects.get(round=rnd).household == household
    return {
        "programme": programme,
        "city": city,
        "coordinator": coordinator,
        "group": group,
        "household": household,
        "round": rnd,
    }


def _refused(world, expected: str) -> list[str]:
    """Confirm is refused with the header and the change naming the pair; nothing is written."""
    rnd = world["round"]
    changes = selectors.round_changes(round=rnd)
    assert [str(c) for c in changes] == [
        message(
            selectors.CHANGE_PAIR,
            group=world["group"].reference,
            household=world["household"].reference,
            change=expected,
        )
    ]
    with pytest.raises(ValidationError) as error:
        services.round_confirm(round=rnd, actor=world["coordinator"])
    assert error.value.messages == [
        message(services.ERR_CHANGED, count=1),
        str(changes[0]),
    ]
    rnd.refresh_from_db()
    assert rnd.status == RoundStatus.PROPOSED
    assert not Match.objects.exists()
    assert not ControlAssignment.objects.exists()
    return error.value.messages


def test_an_unchanged_round_has_no_changes_and_confirms(world):
    assert selectors.round_changes(round=world["round"]) == []
    services.round_confirm(round=world["round"], actor=world["coordinator"])
    assert Match.objects.get().household == world["household"]


def test_vulnerability_override_raised_above_capacity_since_the_run_is_refused(world):
    group, household = world["group"], world["household"]
    household_override_vulnerability(
        household=household,
        level=group.capacity_level + 1,
        reason="Nieuwe informatie uit het gesprek",
        actor=world["coordinator"],
    )
    _refused(
        world,
        message(
            selectors.CHANGE_VULNERABILITY,
            household=household.reference,
            group=group.reference,
            vulnerability=group.capacity_level + 1,
            capacity=group.capacity_level,
        ),
    )


def test_group_capacity_override_lowered_below_the_households_need_is_refused(world):
    group, household = world["group"], world["household"]
    household_override_vulnerability(
        household=household, level=1, reason="Zorg", actor=world["coordinator"]
    )
    # Raising the household to 1 is still within the group's capacity of 2 or more...
    assert selectors.round_changes(round=world["round"]) == []
    group_override_capacity(group=group, level=0, reason="Minder tijd", actor=world["coordinator"])
    _refused(
        world,
        message(
            selectors.CHANGE_VULNERABILITY,
            household=household.reference,
            group=group.reference,
            vulnerability=1,
            capacity=0,
        ),
    )


def test_household_withdrawn_since_the_run_is_refused(world):
    household = world["household"]
    household_update(household=household, actor=world["coordinator"], withdrawn_at=timezone.now())
    _refused(world, message(selectors.CHANGE_WITHDRAWN, who=household.reference))


def test_new_exclusion_between_the_pair_since_the_run_is_refused(world):
    group, household = world["group"], world["household"]
    # Exclusions are recorded by ending a match or by an administrator in the admin site.
    Exclusion.objects.create(group=group, household=household, reason="Conflict of interest")
    _refused(
        world,
        message(selectors.CHANGE_EXCLUDED, group=group.reference, household=household.reference),
    )


def test_household_moved_out_of_range_since_the_run_is_refused(world):
    household = world["household"]
    household_update(
        household=household, actor=world["coordinator"], latitude=FAR[0], longitude=FAR[1]
    )
    change = selectors.round_changes(round=world["round"])[0]
    assert "now live" in change.text and "5 km" in change.text
    with pytest.raises(ValidationError, match="now live"):
        services.round_confirm(round=world["round"], actor=world["coordinator"])
    assert not Match.objects.exists()


def test_household_drawn_as_control_in_another_round_since_the_run_is_refused(world):
    """Trial arm: another round confirmed meanwhile made this household its control."""
    programme, city, coordinator = world["programme"], world["city"], world["coordinator"]
    household = world["household"]
    other_group = make_group(city, lat=HERE[0], lon=HERE[1], name="Tweede", willingness=2)
    other_household = make_household(city, lat=HERE[0], lon=HERE[1], contact_name="Bilal")
    # Find a seed for which the other round's coin makes our household its control.
    for seed in range(50):
        other = services.round_create(
            programme=programme,
            name=f"Andere ronde {seed}",
            actor=coordinator,
            control_arm=True,
            seed=seed,
            groups=[other_group],
            households=[household, other_household],
        )
        other = services.round_run(round=other, actor=coordinator)
        if other.proposals.filter(household=household, role=ProposalRole.CONTROL).exists():
            break
        services.round_cancel(round=other, actor=coordinator)
    else:  # pragma: no cover - the coin is fair, 50 tries suffice
        pytest.fail("no seed made the household a control")
    services.round_confirm(round=other, actor=coordinator)
    assert ControlAssignment.objects.get().household == household

    rnd = world["round"]
    changes = selectors.round_changes(round=rnd)
    assert [c.text for c in changes] == [
        message(selectors.CHANGE_CONTROL, who=household.reference, round=other.name)
    ]
    with pytest.raises(ValidationError) as error:
        services.round_confirm(round=rnd, actor=coordinator)
    assert error.value.messages[0] == message(services.ERR_CHANGED, count=1)
    assert not Match.objects.filter(round=rnd).exists()


def test_every_change_of_a_pair_is_listed(world):
    group, household = world["group"], world["household"]
    household_update(household=household, actor=world["coordinator"], withdrawn_at=timezone.now())
    Exclusion.objects.create(group=group, household=household, reason="Conflict of interest")
    texts = [c.text for c in selectors.round_changes(round=world["round"])]
    assert texts == [
        message(selectors.CHANGE_WITHDRAWN, who=household.reference),
        message(selectors.CHANGE_EXCLUDED, group=group.reference, household=household.reference),
    ]


def test_review_and_confirm_pages_warn_before_the_coordinator_tries(world, client):
    household = world["household"]
    client.login(username=world["coordinator"].username, password=PASSWORD)
    client.cookies["django_language"] = "en"
    detail = reverse("matching:round_detail", args=[world["round"].pk])
    confirm = reverse("matching:round_confirm", args=[world["round"].pk])
    assert "round-changes" not in client.get(detail).content.decode()
    household_update(household=household, actor=world["coordinator"], withdrawn_at=timezone.now())
    for url in (detail, confirm):
        page = client.get(url).content.decode()
        assert 'id="round-changes"' in page
        assert f"{household.reference} has withdrawn from the programme." in page


def test_a_pair_taken_between_the_recheck_and_the_insert_is_a_clean_refusal(world, monkeypatch):
    """The race the re-check cannot see: a pair made outside the round after it looked. The
    database's one-open-match constraint refuses the bulk insert; the service names the group."""
    from welcomematch.lifecycle import services as lifecycle

    other = make_household(world["city"], lat=HERE[0], lon=HERE[1], contact_name="Chaled")
    lifecycle.match_create(
        group=world["group"], household=other, reason="Handmatig", actor=world["coordinator"]
    )
    monkeypatch.setattr(selectors, "round_changes", lambda *, round: [])
    with pytest.raises(ValidationError) as error:
        services.round_confirm(round=world["round"], actor=world["coordinator"])
    assert error.value.messages == [
        message(services.ERR_NOT_AVAILABLE, reference=world["group"].reference)
    ]
    assert not Match.objects.filter(round=world["round"]).exists()
    world["round"].refresh_from_db()
    assert world["round"].status == RoundStatus.PROPOSED
