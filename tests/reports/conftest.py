"""A programme with two cities, imported survey responses with known counts, and matches
taken through their lifecycle by the real services."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import translation

from tests.factories import make_city, make_group, make_household, make_programme, make_user
from tests.intake.exports import csv_bytes
from welcomematch.accounts.models import Role
from welcomematch.lifecycle import services as lifecycle
from welcomematch.surveys.importing import run_import

G, N = "group_member", "newcomer"


@pytest.fixture(autouse=True)
def english() -> Any:
    with translation.override("en"):
        yield


def import_rows(programme: Any, side: str, rows: list[list[Any]], *, moment: str = "midterm"):
    report = run_import(
        programme=programme,
        moment=moment,
        side=side,
        files=[("export.csv", csv_bytes(rows))],
        actor=None,
        dry_run=False,
    )
    assert report["committed"], report
    return report


@pytest.fixture
def world(db: Any) -> dict[str, Any]:
    programme = make_programme()
    almere = make_city(programme, "Almere")
    utrecht = make_city(programme, "Utrecht")
    # Group members: Almere 3 (trust: SA, SA, blank), Utrecht 1 (trust: SD); one in May.
    import_rows(
        programme,
        G,
        [
            ["_uuid", "_submission_time", "city", "trust_match", "would_recommend", "group_role"],
            ["g1", "2026-06-10T10:00:00", "Almere", "strongly_agree", "yes", "friend coach"],
            ["g2", "2026-06-11T10:00:00", "Almere", "strongly_agree", "no", "friend"],
            ["g3", "2026-05-02T10:00:00", "Almere", "", "yes", ""],
            ["g4", "2026-06-12T10:00:00", "Utrecht", "strongly_disagree", "", "buddy"],
        ],
    )
    # Newcomers: Almere 2, Utrecht 1, one anonymous row without a city.
    import_rows(
        programme,
        N,
        [
            [
                "_uuid",
                "_submission_time",
                "city",
                "trust_match",
                "dutch_cefr",
                "work_status",
                "matching_satisfaction",
            ],
            [
                "n1",
                "2026-06-10T10:00:00",
                "Almere",
                "somewhat_agree",
                "B1",
                "part_time volunteer",
                "very_satisfied",
            ],
            [
                "n2",
                "2026-06-10T11:00:00",
                "Almere",
                "neutral",
                "A2",
                "looking",
                "very_dissatisfied",
            ],
            ["n3", "2026-06-10T12:00:00", "Utrecht", "strongly_agree", "none", "", ""],
            ["n4", "2026-06-10T13:00:00", "", "strongly_agree", "C1", "student", "neutral"],
        ],
    )
    import_rows(
        programme,
        N,
        [
            ["_uuid", "_submission_time", "city", "dutch_cefr"],
            ["i1", "2025-09-01T10:00:00", "Almere", "none"],
            ["i2", "2025-09-01T10:00:00", "Almere", "A1"],
            ["i3", "2025-09-01T10:00:00", "Utrecht", "none"],
        ],
        moment="intake",
    )
    coordinator = make_user(Role.COORDINATOR, programme=programme)
    # Matches in Almere: one met 20 days after both intakes and is active, one broke down,
    # after which its household was matched again (a rematch), one only proposed.
    first_group = make_group(almere, name="De Buren")
    second_group = make_group(almere, name="Het Plein")
    third_group = make_group(almere, name="De Dijk")
    first_household = make_household(almere, contact_name="Amal")
    second_household = make_household(almere, contact_name="Berhane")
    active = lifecycle.match_create(
        group=first_group, household=first_household, reason="test", actor=coordinator
    )
    lifecycle.match_plan_first_meeting(
        match=active,
        when=first_household.intake_completed_at + timedelta(days=20),
        actor=coordinator,
    )
    lifecycle.match_start(match=active, actor=coordinator)
    broken = lifecycle.match_create(
        group=second_group, household=second_household, reason="test", actor=coordinator
    )
    lifecycle.match_plan_first_meeting(
        match=broken,
        when=second_household.intake_completed_at + timedelta(days=40),
        actor=coordinator,
    )
    lifecycle.match_end(match=broken, reason="moved", note="", actor=coordinator)
    rematch = lifecycle.match_create(
        group=third_group, household=second_household, reason="rematch", actor=coordinator
    )
    lifecycle.match_plan_first_meeting(
        match=rematch,
        when=second_household.intake_completed_at + timedelta(days=60),
        actor=coordinator,
    )
    lifecycle.match_create(
        group=make_group(utrecht, name="Oudwijk", lat=52.09, lon=5.12),
        household=make_household(utrecht, contact_name="Sara", lat=52.09, lon=5.12),
        reason="test",
        actor=coordinator,
    )
    return {
        "programme": programme,
        "almere": almere,
        "utrecht": utrecht,
        "coordinator": coordinator,
        "users": {
            role.value: make_user(role, username=f"{role.value}-2", programme=programme)
            for role in Role
        },
    }
