"""What participants do on their page (confirm the first meeting, say how it goes) and what
coordinators do with the links on the intake pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import PASSWORD
from tests.web.helpers import advance
from welcomematch.accounts.models import AuditEvent, Role
from welcomematch.accounts.services import user_create
from welcomematch.lifecycle import selectors as lifecycle_selectors
from welcomematch.lifecycle import services as lifecycle
from welcomematch.lifecycle.models import Match, MatchStatus, ParticipantRating
from welcomematch.mail.models import OutgoingMessage
from welcomematch.participants import selectors
from welcomematch.participants.models import ParticipantLink


def _url(name: str, token: str) -> str:
    return reverse(f"participants:{name}", args=[token])


def _match_events(match: Match) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="lifecycle.match", object_id=str(match.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


# --- the first meeting ----------------------------------------------------------------------


def test_the_household_confirms_the_first_meeting_through_the_transitions(world):
    token = world["household_link"].token
    today = timezone.localdate()
    response = Client().post(_url("first_meeting", token), {"met_on": today.isoformat()})
    assert response.status_code == 302
    match = Match.objects.get(pk=world["match"].pk)
    assert match.status == MatchStatus.ACTIVE
    assert timezone.localtime(match.first_meeting_at).date() == today
    assert match.started_at == match.first_meeting_at
    events = _match_events(match)
    assert events[-2:] == ["match.introduced", "match.active"]
    active = AuditEvent.objects.filter(action="match.active", object_id=str(match.pk)).get()
    assert active.data["confirmed_by"] == "household" and active.actor is None
    page = Client().get(_url("page", token)).content.decode()
    assert "first-meeting-form" not in page and "rating-form" in page


def test_a_planned_first_meeting_is_confirmed_by_the_group(world):
    match = advance(world["match"], MatchStatus.INTRODUCED)
    yesterday = timezone.localdate() - timedelta(days=1)
    match.proposed_at = timezone.now() - timedelta(days=10)
    Match.objects.filter(pk=match.pk).update(proposed_at=match.proposed_at)
    response = Client().post(
        _url("first_meeting", world["group_link"].token), {"met_on": yesterday.isoformat()}
    )
    assert response.status_code == 302
    match.refresh_from_db()
    assert match.status == MatchStatus.ACTIVE
    assert timezone.localtime(match.first_meeting_at).date() == yesterday


def test_confirming_twice_gives_one_confirmation(world):
    token = world["household_link"].token
    data = {"met_on": timezone.localdate().isoformat()}
    first = Client().post(_url("first_meeting", token), data, follow=True)
    second = Client().post(_url("first_meeting", token), data, follow=True)
    assert "Thank you: your first meeting is recorded." in first.content.decode()
    assert "already recorded" in second.content.decode()
    events = _match_events(world["match"])
    assert events.count("match.active") == 1 and events.count("match.introduced") == 1
    # The group confirming after the household changes nothing either.
    _m, confirmed = lifecycle.match_confirm_first_meeting(
        match=world["match"], side="group", met_on=timezone.localdate()
    )
    assert confirmed is False


def test_a_first_meeting_in_the_future_is_refused_in_words(world):
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = Client().post(
        _url("first_meeting", world["household_link"].token), {"met_on": tomorrow.isoformat()}
    )
    assert response.status_code == 200
    assert "cannot be in the future" in response.content.decode()
    assert Match.objects.get(pk=world["match"].pk).status == MatchStatus.PROPOSED


def test_a_first_meeting_before_the_match_is_refused(world):
    with pytest.raises(ValidationError, match="before the match was made"):
        lifecycle.match_confirm_first_meeting(
            match=world["match"],
            side="group",
            met_on=timezone.localdate() - timedelta(days=400),
        )


def test_an_ended_match_cannot_be_confirmed(world):
    advance(world["match"], MatchStatus.ENDED)
    with pytest.raises(ValidationError, match="has ended"):
        lifecycle.match_confirm_first_meeting(
            match=world["match"], side="group", met_on=timezone.localdate()
        )


# --- how it is going -------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, 6, -1, True, "3"])
def test_a_rating_outside_one_to_five_is_refused(world, value):
    with pytest.raises(ValidationError, match="from 1 to 5"):
        lifecycle.match_rate(match=world["match"], side="group", rating=value)
    assert not ParticipantRating.objects.exists()


@pytest.mark.parametrize("value", ["0", "6", "abc", ""])
def test_the_page_refuses_a_rating_outside_one_to_five(world, value):
    advance(world["match"], MatchStatus.ACTIVE)
    response = Client().post(_url("rating", world["group_link"].token), {"rating": value})
    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    assert not ParticipantRating.objects.exists()


def test_a_rating_with_a_comment_is_stored_once_and_audited(world):
    advance(world["match"], MatchStatus.ACTIVE)
    token = world["group_link"].token
    form = Client().get(_url("page", token)).content.decode()
    key = form.split('name="submission_key" value="')[1].split('"')[0]
    data = {"rating": "4", "comment": "Gezellig!", "submission_key": key}
    assert Client().post(_url("rating", token), data).status_code == 302
    assert Client().post(_url("rating", token), data).status_code == 302
    row = ParticipantRating.objects.get()
    assert (row.side, row.rating, row.comment) == ("group", 4, "Gezellig!")
    event = AuditEvent.objects.get(action="match.participant_rating")
    assert event.data["rating"] == 4 and event.data["side"] == "group"
    assert "Gezellig" not in str(event.data)  # the comment stays on the match


def test_two_low_participant_ratings_raise_the_warning(world):
    match = advance(world["match"], MatchStatus.ACTIVE)
    programme = world["programme"]

    def low_rating_alerts() -> list[str]:
        overview = lifecycle_selectors.waiting_overview(programme=programme)
        return [a.subject for a in overview.alerts if a.rule == "low_ratings"]

    lifecycle.match_rate(match=match, side="household", rating=2)
    assert str(match.pk) not in low_rating_alerts()
    lifecycle.match_rate(match=match, side="group", rating=1, comment="Lastig")
    assert str(match.pk) in low_rating_alerts()


def test_coordinators_see_what_participants_said_on_the_match_page(world):
    match = advance(world["match"], MatchStatus.ACTIVE)
    lifecycle.match_rate(match=match, side="household", rating=5, comment="Heel fijn")
    client = Client()
    client.force_login(world["coordinator"])
    html = client.get(reverse("lifecycle:match_detail", args=[match.pk])).content.decode()
    assert 'id="participant-ratings"' in html and "Heel fijn" in html


# --- coordinators manage the links -------------------------------------------------------------


def test_a_coordinator_renews_a_link_and_sees_it_once(world):
    client = Client()
    client.force_login(world["coordinator"])
    group = world["group"]
    response = client.post(reverse("participants:group_link", args=[group.pk]), {"action": "renew"})
    assert response.status_code == 302
    assert response["Location"] == reverse("intake:group_detail", args=[group.pk])
    page = client.get(response["Location"]).content.decode()
    link = page.split('id="participant-page-link" value="')[0]
    url = page.split('id="participant-page-link"')[0].rsplit('value="', 1)[1].split('"')[0]
    assert link and "/participants/p/" in url
    token = url.rsplit("/p/", 1)[1].strip("/")
    assert selectors.link_for_token(token).group_id == group.pk
    with pytest.raises(selectors.LinkRefused):
        selectors.link_for_token(world["group_link"].token)
    again = client.get(response["Location"]).content.decode()
    assert url not in again  # shown only once


def test_a_coordinator_sends_the_new_link_by_email(world):
    client = Client()
    client.force_login(world["coordinator"])
    household = world["household"]
    client.post(reverse("participants:household_link", args=[household.pk]), {"action": "send"})
    mail = OutgoingMessage.objects.get(purpose="participant.link")
    assert mail.to == "amal@example.org" and mail.language == "en"
    assert "/participants/p/" in mail.body_text


def test_a_coordinator_withdraws_a_link(world):
    client = Client()
    client.force_login(world["coordinator"])
    household = world["household"]
    client.post(reverse("participants:household_link", args=[household.pk]), {"action": "revoke"})
    assert not ParticipantLink.objects.live(now=timezone.now()).filter(household=household)
    response = Client().get(_url("page", world["household_link"].token))
    assert response.status_code == 404


def test_only_managers_manage_links(world):
    ambassador_user = user_create(
        username="amb", password=PASSWORD, role=Role.AMBASSADOR, programme=world["programme"]
    )
    client = Client()
    client.force_login(ambassador_user)
    response = client.post(
        reverse("participants:group_link", args=[world["group"].pk]), {"action": "renew"}
    )
    assert response.status_code == 403
    assert ParticipantLink.objects.filter(group=world["group"]).count() == 1
