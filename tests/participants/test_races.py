"""Participant pages under concurrent requests (PostgreSQL: row locks): a double tap on
"we have met" confirms once, two renewals at once leave one working link."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_city, make_group, make_household, make_programme
from tests.participants.helpers import BASE
from tests.project.test_races import _simultaneously, needs_postgresql
from tests.web.helpers import make_match
from welcomematch.accounts.models import AuditEvent
from welcomematch.lifecycle.models import Match, MatchStatus
from welcomematch.participants import services
from welcomematch.participants.models import ParticipantLink


@pytest.fixture
def pair(transactional_db: Any) -> dict[str, Any]:
    city = make_city(make_programme())
    group, household = make_group(city), make_household(city)
    return {"group": group, "household": household, "match": make_match(group, household)}


@needs_postgresql
def test_both_sides_confirming_at_once_confirm_once(pair: dict[str, Any]) -> None:
    tokens = [
        services.participant_link_renew(actor=None, base_url=BASE, group=pair["group"]).token,
        services.participant_link_renew(
            actor=None, base_url=BASE, household=pair["household"]
        ).token,
    ]
    day = timezone.localdate().isoformat()
    responses = _simultaneously(
        [
            (
                lambda t=t: Client().post(
                    reverse("participants:first_meeting", args=[t]), {"met_on": day}
                )
            )
            for t in tokens * 2
        ]
    )
    assert all(not isinstance(r, Exception) for r in responses), responses
    assert [r.status_code for r in responses] == [302] * 4
    match = Match.objects.get(pk=pair["match"].pk)
    assert match.status == MatchStatus.ACTIVE
    assert AuditEvent.objects.filter(action="match.active", object_id=str(match.pk)).count() == 1


@needs_postgresql
def test_two_renewals_at_once_leave_one_working_link(pair: dict[str, Any]) -> None:
    results = _simultaneously(
        [
            (
                lambda: services.participant_link_renew(
                    actor=None, base_url=BASE, household=pair["household"]
                )
            )
            for _ in range(3)
        ]
    )
    assert all(not isinstance(r, Exception) for r in results), results
    live = ParticipantLink.objects.live(now=timezone.now()).filter(household=pair["household"])
    assert live.count() == 1
