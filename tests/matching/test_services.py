"""Matching rounds in the application: built from ready participants, stored, confirmed, audited."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError

from tests.factories import make_city, make_group, make_household, make_programme, make_user
from welcomematch.accounts.models import AuditEvent, Role
from welcomematch.core import engine
from welcomematch.core.errors import InvalidInput
from welcomematch.core.model import Mechanism, Parameters, Round
from welcomematch.core.roundfile import dumps_result, loads_result, loads_round
from welcomematch.core.validation import validate_round
from welcomematch.i18n import message
from welcomematch.intake.services import PersonData
from welcomematch.lifecycle.models import Match, MatchStatus
from welcomematch.matching import selectors, services
from welcomematch.matching.models import (
    MatchingRound,
    Proposal,
    ProposalRole,
    RoundStatus,
    UnmatchedEntry,
)
from welcomematch.trial.models import ControlAssignment

pytestmark = pytest.mark.django_db

# Two points in Almere about 1.1 km apart, and one in Rotterdam (~60 km away).
NEAR = (52.3700, 5.2200)
NEAR_2 = (52.3750, 5.2340)
FAR = (51.9244, 4.4777)


@pytest.fixture
def setup():
    programme = make_programme()
    city = make_city(programme)
    coordinator = make_user(Role.COORDINATOR, programme=programme)
    return programme, city, coordinator


def test_round_pairs_only_participants_within_range_and_explains_the_rest(setup):
    programme, city, coordinator = setup
    near_group = make_group(city, lat=NEAR[0], lon=NEAR[1])
    far_group = make_group(city, lat=FAR[0], lon=FAR[1], name="Ver weg")
    household = make_household(city, lat=NEAR_2[0], lon=NEAR_2[1])
    rnd = services.round_create(
        programme=programme, name="R1", actor=coordinator, control_arm=False, seed=7
    )
    rnd = services.round_run(round=rnd, actor=coordinator)

    assert rnd.status == RoundStatus.PROPOSED
    proposal = Proposal.objects.get(round=rnd)
    assert (proposal.group, proposal.household, proposal.role) == (
        near_group,
        household,
        ProposalRole.MATCH,
    )
    assert 1.0 < proposal.distance_km < 1.3
    unmatched = UnmatchedEntry.objects.get(round=rnd)
    assert unmatched.group == far_group
    assert unmatched.reason == "no_partner_in_range"
    assert unmatched.eligible_partners == 0
    # The stored files are the contract's format and reproduce the result.
    assert rnd.round_file["format"] == "welcomematch.round/1"
    result = loads_result(json.dumps(rnd.result_file))
    assert [(m.group, m.household) for m in result.matches] == [
        (near_group.reference, household.reference)
    ]


def test_household_above_group_capacity_is_never_paired(setup):
    programme, city, coordinator = setup
    group = make_group(city, willingness=0, experience=0)  # capacity 0
    fragile = make_household(city, support_flags={"trauma": True, "disability": True})
    assert fragile.vulnerability_level > group.capacity_level
    rnd = services.round_create(programme=programme, name="R", actor=coordinator, control_arm=False)
    rnd = services.round_run(round=rnd, actor=coordinator)
    assert not Proposal.objects.filter(round=rnd).exists()
    assert UnmatchedEntry.objects.get(round=rnd, household=fragile).reason == "vulnerability"


def test_control_arm_draws_a_treatment_and_a_control_household_and_confirm_makes_them_real(setup):
    programme, city, coordinator = setup
    group = make_group(city, willingness=2, experience=2)
    first = make_household(city, lat=NEAR_2[0], lon=NEAR_2[1])
    second = make_household(city, persons=[PersonData(relation="main", age=40, gender="man")])
    rnd = services.round_create(
        programme=programme, name="R", actor=coordinator, control_arm=True, seed=11
    )
    rnd = services.round_run(round=rnd, actor=coordinator)
    roles = {p.household: p.role for p in Proposal.objects.filter(round=rnd)}
    assert set(roles) == {first, second}
    assert sorted(roles.values()) == [ProposalRole.CONTROL, ProposalRole.MATCH]

    services.round_confirm(round=rnd, actor=coordinator)
    rnd.refresh_from_db()
    assert rnd.status == RoundStatus.CONFIRMED and rnd.confirmed_at is not None
    treated = next(h for h, role in roles.items() if role == ProposalRole.MATCH)
    control = next(h for h, role in roles.items() if role == ProposalRole.CONTROL)
    match = Match.objects.get(round=rnd)
    assert (match.group, match.household, match.status) == (group, treated, MatchStatus.PROPOSED)
    assignment = ControlAssignment.objects.get(round=rnd)
    assert (assignment.household, assignment.treatment_household, assignment.group) == (
        control,
        treated,
        group,
    )


def test_same_participants_and_seed_give_the_same_result_and_a_confirmed_round_is_immutable(setup):
    programme, city, coordinator = setup
    for i in range(3):
        make_group(
            city, lat=NEAR[0] + i * 0.001, lon=NEAR[1], name=f"G{i}", willingness=2, experience=1
        )
    for i in range(5):
        make_household(city, lat=NEAR_2[0], lon=NEAR_2[1] + i * 0.001)
    rnd = services.round_create(programme=programme, name="R", actor=coordinator, seed=99)
    first = services.round_run(round=rnd, actor=coordinator).result_file
    second = services.round_run(round=rnd, actor=coordinator).result_file
    assert first == second
    services.round_confirm(round=rnd, actor=coordinator)
    with pytest.raises(ValidationError, match="cannot become proposed"):
        services.round_run(round=rnd, actor=coordinator)
    with pytest.raises(ValidationError, match="cannot become cancelled"):
        services.round_cancel(round=rnd, actor=coordinator)


def test_every_step_of_a_round_is_in_the_audit_trail(setup):
    programme, city, coordinator = setup
    make_group(city)
    make_household(city)
    rnd = services.round_create(
        programme=programme, name="R", actor=coordinator, control_arm=False, seed=3
    )
    services.round_run(round=rnd, actor=coordinator)
    services.round_confirm(round=rnd, actor=coordinator)
    actions = list(
        AuditEvent.objects.filter(object_type="matching.matchinground", object_id=str(rnd.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["round.created", "round.run", "round.confirmed"]
    assert AuditEvent.objects.filter(action="match.proposed", actor=coordinator).count() == 1
    created = AuditEvent.objects.get(action="round.created", object_id=str(rnd.pk))
    assert created.data["seed"] == 3


def test_round_without_ready_households_fails_and_stores_nothing(setup):
    programme, city, coordinator = setup
    make_group(city)
    make_household(city, completed=False)
    rnd = services.round_create(programme=programme, name="R", actor=coordinator)
    with pytest.raises(ValidationError) as error:
        services.round_run(round=rnd, actor=coordinator)
    assert str(services.ERR_NO_HOUSEHOLDS) in str(error.value)
    rnd.refresh_from_db()
    assert rnd.status == RoundStatus.DRAFT
    assert rnd.result_file is None
    assert not AuditEvent.objects.filter(action="round.run").exists()


def test_confirm_refuses_when_a_participant_was_taken_since_the_run(setup):
    programme, city, coordinator = setup
    make_group(city)
    make_household(city)
    first = services.round_create(
        programme=programme, name="A", actor=coordinator, control_arm=False
    )
    second = services.round_create(
        programme=programme, name="B", actor=coordinator, control_arm=False
    )
    services.round_run(round=first, actor=coordinator)
    services.round_run(round=second, actor=coordinator)
    services.round_confirm(round=first, actor=coordinator)
    with pytest.raises(ValidationError, match="has been matched since the round ran"):
        services.round_confirm(round=second, actor=coordinator)
    assert Match.objects.count() == 1
    second.refresh_from_db()
    assert second.status == RoundStatus.PROPOSED


def test_stable_mechanism_cannot_have_a_control_arm_as_the_core_says(setup):
    programme, _city, coordinator = setup
    with pytest.raises(ValidationError) as error:
        services.round_create(
            programme=programme, name="R", actor=coordinator, mechanism="stable", control_arm=True
        )
    with pytest.raises(InvalidInput) as core:
        validate_round(
            Round(
                parameters=Parameters(mechanism=Mechanism.STABLE, control_arm=True),
                groups=(),
                households=(),
            )
        )
    assert error.value.message_dict == {
        "control_arm": [str(message(services.ERR_SETTINGS, detail=core.value))]
    }
    assert not MatchingRound.objects.exists()


def test_a_confirmed_rounds_stored_round_file_rerun_by_the_engine_gives_its_result_byte_for_byte(
    setup,
):
    programme, city, coordinator = setup
    for i in range(3):
        make_group(city, lat=NEAR[0] + i * 0.002, lon=NEAR[1], name=f"G{i}", willingness=2)
    for i in range(5):
        make_household(city, lat=NEAR_2[0], lon=NEAR_2[1] + i * 0.002)
    rnd = services.round_create(programme=programme, name="R", actor=coordinator, seed=5)
    services.round_run(round=rnd, actor=coordinator)
    rnd = services.round_confirm(round=rnd, actor=coordinator)
    rnd.refresh_from_db()

    exported_round = selectors.export_round_file(round=rnd)
    assert json.loads(exported_round) == rnd.round_file
    # What anyone with the downloaded round file gets from the engine (as `welcomematch match`).
    rerun = engine.run_round(loads_round(exported_round))
    assert dumps_result(rerun).encode() == selectors.export_result_file(round=rnd).encode()
    assert rerun.matches and rerun.controls


def test_a_round_can_be_limited_to_selected_participants(setup):
    programme, city, coordinator = setup
    chosen_group = make_group(city, name="Gekozen")
    make_group(city, name="Niet gekozen")
    chosen = [make_household(city), make_household(city)]
    make_household(city)
    rnd = services.round_create(
        programme=programme,
        name="R",
        actor=coordinator,
        groups=[chosen_group],
        households=chosen,
        seed=4,
    )
    rnd = services.round_run(round=rnd, actor=coordinator)
    assert [g["id"] for g in rnd.round_file["groups"]] == [chosen_group.reference]
    assert sorted(h["id"] for h in rnd.round_file["households"]) == sorted(
        h.reference for h in chosen
    )
    assert set(Proposal.objects.filter(round=rnd).values_list("household", flat=True)) == {
        h.pk for h in chosen
    }
