"""Dates of a match's year: a first meeting can be moved, and every date has sensible bounds
(not before the match was made; first meetings and goals at most two years ahead; check-ins
not in the future)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import PASSWORD, make_city, make_group, make_household, make_programme
from welcomematch.accounts.audit_details import audit_details
from welcomematch.accounts.models import AuditEvent, Role
from welcomematch.accounts.services import user_create
from welcomematch.lifecycle import services
from welcomematch.lifecycle.models import CheckIn, JointGoal, Match, MatchStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    programme = make_programme()
    city = make_city(programme)
    coordinator = user_create(
        username="coordinator", password=PASSWORD, role=Role.COORDINATOR, programme=programme
    )
    match = services.match_create(
        group=make_group(city), household=make_household(city), reason="test", actor=coordinator
    )
    return coordinator, match


def noon_in(days: int) -> datetime:
    return timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0) + timedelta(
        days=days
    )


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_planned_first_meeting_can_be_moved_and_the_move_is_audited_with_both_dates(world):
    coordinator, match = world
    first, second = noon_in(7), noon_in(14)
    services.match_plan_first_meeting(match=match, when=first, actor=coordinator)
    services.match_plan_first_meeting(match=match, when=second, actor=coordinator)
    match.refresh_from_db()
    assert match.status == MatchStatus.INTRODUCED
    assert match.first_meeting_at == second
    event = AuditEvent.objects.get(action="match.first_meeting_moved", object_id=str(match.pk))
    assert datetime.fromisoformat(event.data["from"]) == first
    assert datetime.fromisoformat(event.data["to"]) == second


def test_the_match_page_moves_a_planned_first_meeting_and_says_from_when_to_when(world):
    coordinator, match = world
    services.match_plan_first_meeting(match=match, when=noon_in(7), actor=coordinator)
    client = client_for(coordinator)
    url = reverse("lifecycle:match_detail", args=[match.pk])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert page.context["can_plan"]
    assert b"Move first meeting" in page.content
    later = noon_in(10)
    response = client.post(
        reverse("lifecycle:match_first_meeting", args=[match.pk]),
        {"when": later.strftime("%Y-%m-%dT%H:%M")},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302
    assert Match.objects.get(pk=match.pk).first_meeting_at == later
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    (moved,) = [e for e in page.context["audit"] if e.action == "match.first_meeting_moved"]
    (words,) = audit_details(moved.action, moved.data).words
    assert words.startswith("from ") and " to " in words and str(later.year) in words
    assert words.encode() in page.content


def test_a_started_match_keeps_its_first_meeting(world):
    coordinator, match = world
    services.match_plan_first_meeting(match=match, when=noon_in(0), actor=coordinator)
    services.match_start(match=match, actor=coordinator)
    with pytest.raises(ValidationError, match="cannot become first meeting planned"):
        services.match_plan_first_meeting(match=match, when=noon_in(3), actor=coordinator)


@pytest.mark.parametrize(
    ("days", "text"),
    [(-400, "before the match was made"), (800, "more than two years ahead")],
)
def test_a_first_meeting_date_out_of_bounds_is_refused_naming_the_field(world, days, text):
    coordinator, match = world
    with pytest.raises(ValidationError) as caught:
        services.match_plan_first_meeting(match=match, when=noon_in(days), actor=coordinator)
    assert list(caught.value.error_dict) == ["when"]
    assert text in caught.value.messages[0]
    assert "first meeting" in caught.value.messages[0]
    assert Match.objects.get(pk=match.pk).status == MatchStatus.PROPOSED


def test_the_year_1900_and_9999_are_refused_for_a_first_meeting_on_the_form(world):
    coordinator, match = world
    client = client_for(coordinator)
    for when in ("1900-01-01T10:00", "9999-12-31T10:00"):
        response = client.post(
            reverse("lifecycle:match_first_meeting", args=[match.pk]),
            {"when": when},
            HTTP_ACCEPT_LANGUAGE="en",
        )
        assert response.status_code == 400
        errors = response.context["first_meeting_form"].errors["when"]
        assert "first meeting" in errors[0]
        summary = response.content.decode().split('id="error-summary"')[1].split("</div>")[0]
        assert "first meeting" in summary and 'href="#id_when"' in summary
    assert Match.objects.get(pk=match.pk).first_meeting_at is None


@pytest.mark.parametrize(
    ("days", "text"),
    [(-400, "before the match was made"), (1, "lies in the future")],
)
def test_a_check_in_date_out_of_bounds_is_refused_naming_the_field(world, days, text):
    coordinator, match = world
    with pytest.raises(ValidationError) as caught:
        services.checkin_record(
            match=match, held_on=timezone.localdate() + timedelta(days=days), actor=coordinator
        )
    assert list(caught.value.error_dict) == ["held_on"]
    assert text in caught.value.messages[0] and "check-in" in caught.value.messages[0]
    assert not CheckIn.objects.exists()


def test_a_check_in_today_is_recorded(world):
    coordinator, match = world
    services.checkin_record(match=match, held_on=timezone.localdate(), actor=coordinator)
    assert CheckIn.objects.count() == 1


def test_a_check_in_in_9999_is_shown_on_the_form(world):
    coordinator, match = world
    response = client_for(coordinator).post(
        reverse("lifecycle:checkin_add", args=[match.pk]),
        {"held_on": "9999-01-01", "mode": "call"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "lies in the future" in response.context["checkin_form"].errors["held_on"][0]


@pytest.mark.parametrize(
    ("days", "text"),
    [(-400, "before the match was made"), (800, "more than two years ahead")],
)
def test_a_goal_target_date_out_of_bounds_is_refused_naming_the_field(world, days, text):
    coordinator, match = world
    with pytest.raises(ValidationError) as caught:
        services.goal_add(
            match=match,
            goal="language",
            target_date=timezone.localdate() + timedelta(days=days),
            actor=coordinator,
        )
    assert list(caught.value.error_dict) == ["target_date"]
    assert text in caught.value.messages[0] and "goal" in caught.value.messages[0]
    assert not JointGoal.objects.exists()


def test_a_goal_in_1900_is_shown_on_the_form(world):
    coordinator, match = world
    response = client_for(coordinator).post(
        reverse("lifecycle:goal_add", args=[match.pk]),
        {"goal": "language", "target_date": "1900-01-01"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "before the match was made" in response.context["goal_form"].errors["target_date"][0]
