"""A small programme with matches at the survey moments, reached through the real services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from django.test import override_settings
from django.utils import timezone, translation

from tests.factories import make_city, make_group, make_household, make_programme, make_user
from welcomematch.accounts.models import Role, User
from welcomematch.intake.models import Household
from welcomematch.intake.services import MemberData, PersonData
from welcomematch.lifecycle import services as lifecycle
from welcomematch.lifecycle.models import Match
from welcomematch.mail.services import mail_send_pending
from welcomematch.matching import services as matching
from welcomematch.programmes.models import City, Programme
from welcomematch.surveys.selectors import months_before
from welcomematch.trial.models import ControlAssignment

BASE_URL = "http://testserver/"


@pytest.fixture(autouse=True)
def english_messages():
    """Service messages are asserted in English; the interface default is Dutch."""
    with translation.override("en"):
        yield


def members(prefix: str) -> list[MemberData]:
    return [
        MemberData(first_name=f"{prefix}{n}", age=40, email=f"{prefix.lower()}{n}@example.org")
        for n in (1, 2, 3)
    ]


def family(**kw: object) -> dict[str, object]:
    """A couple with a child: two adults answer, the child does not."""
    return {
        "persons": [
            PersonData(relation="main", age=36, gender="woman"),
            PersonData(relation="partner", age=38, gender="man"),
            PersonData(relation="child", age=7, gender="man"),
        ],
        **kw,
    }


def start(match: Match, *, months: int, now: datetime, actor: User | None = None) -> Match:
    when = months_before(now, months)
    # The round that made the match ran two weeks before the first meeting.
    Match.objects.filter(pk=match.pk).update(proposed_at=when - timedelta(days=14))
    match.refresh_from_db()
    lifecycle.match_plan_first_meeting(match=match, when=when, actor=actor)
    return lifecycle.match_start(match=match, actor=actor, started_at=when)


def trial_pair(
    programme: Programme, city: City, *, prefix: str, months: int, now: datetime, **household_kw
) -> tuple[Match, Household]:
    """A round with randomised control in ``city``: one match (started ``months`` ago) and
    the control household the coin drew beside it."""
    lat, lon = float(city.latitude or 52.37), float(city.longitude or 5.22)
    make_group(
        city,
        lat=lat,
        lon=lon,
        name=f"Groep {prefix}",
        members=members(prefix),
        willingness=2,
        experience=2,
    )
    for n in (1, 2):
        make_household(
            city,
            lat=lat + 0.002 * n,
            lon=lon,
            contact_name=f"{prefix} H{n}",
            contact_email=f"{prefix.lower()}.h{n}@example.org",
            cefr_dutch="A2",
            languages=["ar", "en"],
            **family(**household_kw),
        )
    rnd = matching.round_create(
        programme=programme, city=city, name=f"R {prefix}", actor=None, control_arm=True, seed=7
    )
    rnd = matching.round_run(round=rnd, actor=None)
    matching.round_confirm(round=rnd, actor=None)
    match = Match.objects.filter(round=rnd).first()
    assert match is not None, list(rnd.unmatched.values())
    control = ControlAssignment.objects.get(round=rnd).household
    return start(match, months=months, now=now), control


@dataclass
class World:
    programme: Programme
    almere: City
    utrecht: City
    coordinator: User
    now: datetime
    midterm_almere: Match
    midterm_utrecht: Match
    final_match: Match
    final_control: Household


@pytest.fixture
def world(db) -> World:
    now = timezone.now()
    programme = make_programme()
    almere = make_city(programme, "Almere")
    utrecht = City.objects.create(
        programme=programme, name="Utrecht", latitude=52.09, longitude=5.12
    )
    coordinator = make_user(Role.COORDINATOR, programme=programme)
    midterm_almere, _ = trial_pair(programme, almere, prefix="A", months=6, now=now)
    midterm_utrecht, _ = trial_pair(programme, utrecht, prefix="U", months=7, now=now)
    final_match, final_control = trial_pair(programme, almere, prefix="F", months=13, now=now)
    # The news of these matches went out when they were made, long before any survey.
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        mail_send_pending()
    return World(
        programme=programme,
        almere=almere,
        utrecht=utrecht,
        coordinator=coordinator,
        now=now,
        midterm_almere=midterm_almere,
        midterm_utrecht=midterm_utrecht,
        final_match=final_match,
        final_control=final_control,
    )
