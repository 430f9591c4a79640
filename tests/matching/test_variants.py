"""What if: variants of a round under review never change it; adopting one equals running the
round with its settings."""

from __future__ import annotations

import dataclasses

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
from welcomematch.core import engine, roundfile
from welcomematch.core.model import Parameters
from welcomematch.matching import jobs, selectors, services
from welcomematch.matching.models import MatchingRound, Proposal, RoundStatus, RoundVariant

pytestmark = pytest.mark.django_db

HERE = (52.3700, 5.2200)
NEARBY = (52.3750, 5.2340)  # ~1.1 km from HERE
NORTH = (52.4500, 5.2200)
NORTH_6KM = (52.5050, 5.2200)  # ~6.1 km from NORTH, far from everyone else


@pytest.fixture
def world():
    programme = make_programme()
    city = make_city(programme)
    coordinator = make_user(Role.COORDINATOR, programme=programme)
    g1 = make_group(city, lat=HERE[0], lon=HERE[1], name="Zuid")
    h1 = make_household(city, lat=NEARBY[0], lon=NEARBY[1], contact_name="Amal")
    g2 = make_group(city, lat=NORTH[0], lon=NORTH[1], name="Noord")
    h2 = make_household(city, lat=NORTH_6KM[0], lon=NORTH_6KM[1], contact_name="Bilal")
    rnd = services.round_create(
        programme=programme,
        name="R",
        actor=coordinator,
        max_distance_km=5.0,
        control_arm=False,
        seed=9,
    )
    rnd = services.round_run(round=rnd, actor=coordinator)
    return {"programme": programme, "coordinator": coordinator, "round": rnd} | {
        "g1": g1,
        "h1": h1,
        "g2": g2,
        "h2": h2,
    }


def _snapshot(rnd: MatchingRound):
    rnd = MatchingRound.objects.get(pk=rnd.pk)
    return (
        rnd.status,
        rnd.max_distance_km,
        rnd.mechanism,
        rnd.control_arm,
        rnd.round_file,
        rnd.result_file,
        sorted(Proposal.objects.filter(round=rnd).values_list("group_id", "household_id", "role")),
    )


def test_a_variant_leaves_the_round_untouched_and_is_the_engine_over_the_stored_file(world):
    rnd = world["round"]
    before = _snapshot(rnd)
    variant = services.round_variant_create(
        round=rnd,
        actor=world["coordinator"],
        max_distance_km=7.0,
        mechanism="optimal",
        control_arm=False,
    )
    assert _snapshot(rnd) == before
    stored = selectors.round_core_input(round=rnd)
    expected = engine.run_round(
        dataclasses.replace(stored, parameters=Parameters(max_distance_km=7.0, seed=rnd.seed))
    )
    assert variant.result_file == roundfile.result_to_dict(expected)
    assert AuditEvent.objects.filter(action="round.variant_tried", object_id=str(rnd.pk)).exists()


def test_the_comparison_counts_pairs_distances_first_choices_and_who_gains(world):
    rnd = world["round"]
    services.round_variant_create(
        round=rnd,
        actor=world["coordinator"],
        max_distance_km=7.0,
        mechanism="optimal",
        control_arm=False,
    )
    base, seven = selectors.round_outcomes(round=rnd)
    assert (base.pairs, base.matched_groups, base.matched_households, base.controls) == (1, 1, 1, 0)
    assert (seven.pairs, seven.matched_groups, seven.matched_households) == (2, 2, 2)
    assert seven.gains == tuple(sorted([world["g2"].reference, world["h2"].reference]))
    assert seven.losses == ()
    d1 = rnd.result_file["matches"][0]["distance_km"]
    assert base.mean_distance_km == base.max_pair_distance_km == d1
    variant_distances = [
        m["distance_km"] for m in RoundVariant.objects.get().result_file["matches"]
    ]
    assert seven.mean_distance_km == pytest.approx(sum(variant_distances) / 2)
    assert seven.max_pair_distance_km == max(variant_distances) > 6.0
    # Every participant ranked the other's type first or not at all: count by hand.
    firsts = sum(
        (m["group_rank"] == 0) + (m["household_rank"] == 0)
        for m in RoundVariant.objects.get().result_file["matches"]
    )
    assert seven.first_choice_share == firsts / 4


def test_adopting_a_variant_equals_running_the_round_with_its_settings(world):
    rnd = world["round"]
    variant = services.round_variant_create(
        round=rnd,
        actor=world["coordinator"],
        max_distance_km=7.0,
        mechanism="optimal",
        control_arm=False,
    )
    jobs.round_variant_adopt(variant=variant, actor=world["coordinator"])
    rnd.refresh_from_db()
    assert (rnd.status, rnd.max_distance_km) == (RoundStatus.PROPOSED, 7.0)
    assert rnd.result_file == variant.result_file
    assert rnd.round_file == variant.round_file
    # The same as a round made with those settings from the start.
    twin = services.round_create(
        programme=world["programme"],
        name="Tweeling",
        actor=world["coordinator"],
        max_distance_km=7.0,
        control_arm=False,
        seed=rnd.seed,
    )
    twin = services.round_run(round=twin, actor=world["coordinator"])
    assert twin.result_file == rnd.result_file
    assert Proposal.objects.filter(round=rnd).count() == 2
    assert AuditEvent.objects.filter(action="round.variant_adopted").exists()


def test_variants_are_refused_on_a_round_that_is_not_under_review(world):
    rnd = world["round"]
    services.round_confirm(round=rnd, actor=world["coordinator"])
    with pytest.raises(ValidationError) as error:
        services.round_variant_create(
            round=rnd,
            actor=world["coordinator"],
            max_distance_km=7.0,
            mechanism="optimal",
            control_arm=False,
        )
    assert error.value.code == "not_under_review"
    assert not RoundVariant.objects.exists()


def test_stable_with_control_arm_is_refused_as_the_core_says(world):
    with pytest.raises(ValidationError):
        services.round_variant_create(
            round=world["round"],
            actor=world["coordinator"],
            max_distance_km=5.0,
            mechanism="stable",
            control_arm=True,
        )
    assert not RoundVariant.objects.exists()


def test_the_round_page_compares_and_adopts(world, client):
    rnd = world["round"]
    client.login(username=world["coordinator"].username, password=PASSWORD)
    client.cookies["django_language"] = "en"
    response = client.post(
        reverse("matching:round_variant_create", args=[rnd.pk]),
        {"max_distance_km": "7", "mechanism": "optimal"},
    )
    assert response.status_code == 302
    page = client.get(reverse("matching:round_detail", args=[rnd.pk])).content.decode()
    assert 'id="variant-table"' in page and "Variant 1" in page
    variant = RoundVariant.objects.get()
    client.post(reverse("matching:round_variant_adopt", args=[rnd.pk, variant.pk]))
    rnd.refresh_from_db()
    assert rnd.max_distance_km == 7.0 and rnd.result_file == variant.result_file
