"""An invitation's state: one definition for the link, the services and the coordinator's page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.intake.answers import group_answers
from welcomematch.intake import selectors
from welcomematch.intake.models import GroupInvitation, InvitationState
from welcomematch.intake.services import (
    ERR_INVITATION_CLOSED,
    group_invite,
    invitation_revoke,
    invitation_save_progress,
)

pytestmark = pytest.mark.django_db


def _invite(programme: Any, city: Any) -> tuple[GroupInvitation, str]:
    _group, invitation, token = group_invite(
        programme=programme, city=city, name="De Buren", actor=None
    )
    return invitation, token


def _expire(invitation: GroupInvitation) -> GroupInvitation:
    GroupInvitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    return GroupInvitation.objects.get(pk=invitation.pk)


def test_a_new_link_is_open(programme: Any, city: Any) -> None:
    invitation, token = _invite(programme, city)
    assert invitation.state == InvitationState.OPEN and invitation.is_open
    assert selectors.invitation_for_token(token) == invitation


def test_a_withdrawn_link_stays_withdrawn_after_its_expiry(programme: Any, city: Any) -> None:
    invitation, token = _invite(programme, city)
    invitation_revoke(invitation=invitation, actor=None)
    invitation = _expire(invitation)
    assert invitation.state == InvitationState.REVOKED and not invitation.is_open
    with pytest.raises(selectors.InvitationRefused) as caught:
        selectors.invitation_for_token(token)
    assert caught.value.reason == InvitationState.REVOKED.value


def test_an_expired_link_refuses_the_link_page_and_the_services_alike(
    programme: Any, city: Any
) -> None:
    invitation, token = _invite(programme, city)
    invitation = _expire(invitation)
    assert invitation.state == InvitationState.EXPIRED
    with pytest.raises(selectors.InvitationRefused) as caught:
        selectors.invitation_for_token(token)
    assert (caught.value.reason, caught.value.status) == ("expired", 410)
    with pytest.raises(ValidationError) as error:
        invitation_save_progress(invitation=invitation, step="group", answers=group_answers())
    assert error.value.messages == [str(ERR_INVITATION_CLOSED)]


def test_the_coordinators_page_shows_each_links_state_in_words(
    programme: Any, city: Any, users: dict[str, Any]
) -> None:
    open_one, _ = _invite(programme, city)
    group = open_one.group
    client = Client()
    client.force_login(users["coordinator"])
    html = client.get(reverse("intake:group_detail", args=[group.pk])).content.decode()
    assert '<span class="status-open">open</span>' in html
    invitation_revoke(invitation=open_one, actor=None)
    html = client.get(reverse("intake:group_detail", args=[group.pk])).content.decode()
    assert '<span class="status-revoked">teruggetrokken</span>' in html  # Dutch by default
    assert "Withdraw link" not in html and "Link intrekken" not in html
