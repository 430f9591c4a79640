"""Pool rules: a programme's minimum pool for a round, shown before running and enforced by it;
and the dashboard's "ready to match" is the round's pool, also after matches end or complete."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.factories import (
    PASSWORD,
    make_city,
    make_group,
    make_household,
    make_programme,
    make_user,
)
from welcomematch.accounts.models import AuditEvent, Role
from welcomematch.i18n import message
from welcomematch.lifecycle import services as lifecycle
from welcomematch.lifecycle.models import Match
from welcomematch.matching import selectors, services
from welcomematch.matching.models import RoundStatus
from welcomematch.web.selectors import Stage, groups_with_stage, households_with_stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def pilot():
    """A programme with the pilot's rule: at least 5 groups and more households than groups."""
    programme = make_programme()
    programme.round_min_groups = 5
    programme.round_more_households_than_groups = True
    programme.save()
    city = make_city(programme)
    return programme, city, make_user(Role.COORDINATOR, programme=programme)


def _participants(city, groups: int, households: int) -> None:
    for i in range(groups):
        make_group(city, name=f"Groep {i}")
    for i in range(households):
        make_household(city, contact_name=f"Huishouden {i}")


def _run_refused(programme, coordinator, expected: list[str]) -> None:
    rnd = services.round_create(programme=programme, name="R", actor=coordinator, seed=1)
    with pytest.raises(ValidationError) as error:
        services.round_run(round=rnd, actor=coordinator)
    assert error.value.messages == expected
    rnd.refresh_from_db()
    assert rnd.status == RoundStatus.DRAFT and rnd.result_file is None
    assert not AuditEvent.objects.filter(action="round.run").exists()


def test_a_round_with_fewer_groups_than_the_minimum_does_not_run(pilot):
    programme, city, coordinator = pilot
    _participants(city, groups=4, households=9)
    _run_refused(programme, coordinator, [message(selectors.ERR_POOL_GROUPS, groups=4, minimum=5)])


def test_a_round_with_as_many_households_as_groups_does_not_run(pilot):
    programme, city, coordinator = pilot
    _participants(city, groups=5, households=5)
    _run_refused(
        programme, coordinator, [message(selectors.ERR_POOL_HOUSEHOLDS, groups=5, households=5)]
    )


def test_both_shortfalls_are_named(pilot):
    programme, city, coordinator = pilot
    _participants(city, groups=3, households=2)
    _run_refused(
        programme,
        coordinator,
        [
            message(selectors.ERR_POOL_GROUPS, groups=3, minimum=5),
            message(selectors.ERR_POOL_HOUSEHOLDS, groups=3, households=2),
        ],
    )


def test_a_pool_meeting_the_rule_runs(pilot):
    programme, city, coordinator = pilot
    _participants(city, groups=5, households=6)
    rnd = services.round_create(programme=programme, name="R", actor=coordinator, seed=1)
    rnd = services.round_run(round=rnd, actor=coordinator)
    assert rnd.status == RoundStatus.PROPOSED
    assert rnd.result_file["summary"]["groups"] == 5


def test_the_rule_counts_the_rounds_own_pool_after_its_selection(pilot):
    """A round limited to some participants is judged on those, not on everyone ready."""
    programme, city, coordinator = pilot
    _participants(city, groups=6, households=9)
    rnd = services.round_create(
        programme=programme,
        name="R",
        actor=coordinator,
        seed=1,
        groups=list(selectors.groups_ready(programme=programme)[:2]),
    )
    with pytest.raises(ValidationError) as error:
        services.round_run(round=rnd, actor=coordinator)
    assert error.value.messages == [message(selectors.ERR_POOL_GROUPS, groups=2, minimum=5)]


def test_the_new_round_page_shows_the_rule_and_which_cities_meet_it(pilot, client):
    programme, city, coordinator = pilot
    other = make_city(programme, "Haarlem")
    _participants(city, groups=5, households=6)
    _participants(other, groups=1, households=3)
    client.login(username=coordinator.username, password=PASSWORD)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("matching:round_create")).content.decode()
    assert "This programme runs a round with: at least 5 groups, more households than groups." in (
        page
    )
    readiness = page[page.index('id="readiness"') :]
    almere = readiness[
        readiness.index("Almere") : readiness.index("</tr>", readiness.index("Almere"))
    ]
    haarlem = readiness[
        readiness.index("Haarlem") : readiness.index("</tr>", readiness.index("Haarlem"))
    ]
    assert "Not yet" not in almere and "Yes" in almere
    assert str(message(selectors.ERR_POOL_GROUPS, groups=1, minimum=5)) in haarlem


def _dashboard_ready(programme) -> tuple[set[str], set[str]]:
    groups = groups_with_stage().filter(programme=programme, stage=Stage.READY)
    households = households_with_stage().filter(programme=programme, stage=Stage.READY)
    return (
        set(groups.values_list("reference", flat=True)),
        set(households.values_list("reference", flat=True)),
    )


def _round_pool_as_run(programme, coordinator) -> tuple[set[str], set[str]]:
    """Who a new round actually took, read from its stored round file."""
    rnd = services.round_create(
        programme=programme, name="Volgende", actor=coordinator, control_arm=False, seed=3
    )
    rnd = services.round_run(round=rnd, actor=coordinator)
    services.round_cancel(round=rnd, actor=coordinator)
    return (
        {g["id"] for g in rnd.round_file["groups"]},
        {h["id"] for h in rnd.round_file["households"]},
    )


def test_dashboard_and_round_pool_agree_after_a_match_ends_early_and_after_one_completes():
    programme = make_programme()
    city = make_city(programme)
    coordinator = make_user(Role.COORDINATOR, programme=programme)
    groups = [make_group(city, name=f"G{i}", lat=52.37 + i, lon=5.22) for i in range(3)]
    households = [make_household(city, lat=52.37 + i, lon=5.22) for i in range(3)]
    first = services.round_create(
        programme=programme, name="Eerste", actor=coordinator, control_arm=False, seed=1
    )
    services.round_confirm(round=services.round_run(round=first, actor=coordinator), actor=None)
    ended, completed, still_open = (
        Match.objects.get(group=groups[0]),
        Match.objects.get(group=groups[1]),
        Match.objects.get(group=groups[2]),
    )
    lifecycle.match_end(match=ended, reason="other", note="Verhuisd.", actor=coordinator)
    lifecycle.match_start(match=completed, actor=coordinator)
    lifecycle.match_complete(match=completed, actor=coordinator)
    assert still_open.is_open

    dashboard = _dashboard_ready(programme)
    assert dashboard == ({groups[0].reference}, {households[0].reference})
    assert _round_pool_as_run(programme, coordinator) == dashboard
