"""Intake services: answers to records, updates, invitations, rules."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.intake.answers import group_answers, household_answers
from welcomematch.accounts.models import AuditEvent
from welcomematch.i18n import message
from welcomematch.intake import selectors
from welcomematch.intake.models import GroupInvitation
from welcomematch.intake.services import (
    ERR_MEMBERS_REQUIRED,
    ERR_NO_LOCATION,
    ERR_POSTCODE_UNKNOWN,
    group_invite,
    group_save_answers,
    household_save_answers,
    invitation_revoke,
    invitation_save_progress,
    invitation_submit,
    invitation_token_hash,
    programme_rules_update,
)

pytestmark = pytest.mark.django_db


def test_group_answers_become_a_group_with_members_and_capacity(
    programme: Any, city: Any, postcodes: int
) -> None:
    group = group_save_answers(programme=programme, city=city, answers=group_answers(), actor=None)
    assert group.members.count() == 2
    assert group.postcode == "1315 AB"
    assert group.latitude == pytest.approx(52.3712)
    assert group.capacity == 2  # willingness 2, experience 1 under the default table
    assert group.consent_at is not None and group.non_discrimination_at is not None
    assert group.intake_completed_at is not None


def test_household_type_and_vulnerability_are_derived(
    programme: Any, city: Any, postcodes: int
) -> None:
    household = household_save_answers(
        programme=programme, city=city, answers=household_answers(), actor=None
    )
    assert household.household_type == "single_parent"
    # finances 2 → 2 points, trauma → 3, single parent → 2: 7 points, one threshold (4) reached
    assert household.vulnerability == 1
    assert household.support_flags == {
        "disability": False,
        "trauma": True,
        "specific_support": False,
    }
    assert household.persons.count() == 2


def test_unknown_postcode_is_a_postcode_error(programme: Any, city: Any, postcodes: int) -> None:
    with pytest.raises(ValidationError) as caught:
        group_save_answers(
            programme=programme, city=city, answers=group_answers(postcode="1011 AB"), actor=None
        )
    assert caught.value.message_dict["postcode"] == [message(ERR_POSTCODE_UNKNOWN, code="1011 AB")]


def test_coordinates_may_replace_the_postcode(programme: Any, city: Any) -> None:
    group = group_save_answers(
        programme=programme,
        city=city,
        answers=group_answers(postcode="", latitude=52.1, longitude=4.3),
        actor=None,
    )
    assert (group.latitude, group.longitude) == (52.1, 4.3)


def test_no_location_at_all_is_refused(programme: Any, city: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        group_save_answers(
            programme=programme, city=city, answers=group_answers(postcode=""), actor=None
        )
    assert caught.value.message_dict["postcode"] == [ERR_NO_LOCATION]


def test_a_group_needs_members(programme: Any, city: Any, postcodes: int) -> None:
    with pytest.raises(ValidationError) as caught:
        group_save_answers(
            programme=programme, city=city, answers=group_answers(members=[]), actor=None
        )
    assert caught.value.message_dict["members"] == [ERR_MEMBERS_REQUIRED]


def test_invitation_stores_only_a_hash_and_opens_with_the_token(
    programme: Any, city: Any, users: dict[str, Any]
) -> None:
    group, invitation, token = group_invite(
        programme=programme, city=city, name="De Buren", actor=users["coordinator"]
    )
    assert token not in invitation.token_hash
    assert invitation.token_hash == invitation_token_hash(token)
    assert selectors.invitation_for_token(token) == invitation
    assert group.intake_completed_at is None


def test_expired_revoked_and_unknown_links_are_refused(programme: Any, city: Any) -> None:
    _group, invitation, token = group_invite(
        programme=programme, city=city, name="De Buren", actor=None
    )
    with pytest.raises(selectors.InvitationRefused) as caught:
        selectors.invitation_for_token(token + "x")
    assert caught.value.status == 404
    GroupInvitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    with pytest.raises(selectors.InvitationRefused) as caught:
        selectors.invitation_for_token(token)
    assert (caught.value.reason, caught.value.status) == ("expired", 410)
    GroupInvitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() + timedelta(days=1)
    )
    invitation_revoke(invitation=invitation, actor=None)
    with pytest.raises(selectors.InvitationRefused) as caught:
        selectors.invitation_for_token(token)
    assert (caught.value.reason, caught.value.status) == ("revoked", 410)


def test_progress_is_kept_and_submit_completes_the_group(
    programme: Any, city: Any, postcodes: int
) -> None:
    group, invitation, token = group_invite(
        programme=programme, city=city, name="De Buren", actor=None
    )
    answers = group_answers()
    invitation_save_progress(
        invitation=invitation, step="members", answers={"name": answers["name"]}
    )
    invitation_save_progress(invitation=invitation, step="matching", answers=answers)
    invitation.refresh_from_db()
    assert invitation.last_step == "matching"
    submitted = invitation_submit(invitation=invitation)
    assert submitted.pk == group.pk
    assert submitted.intake_completed_at is not None
    assert submitted.members.count() == 2
    invitation.refresh_from_db()
    assert invitation.answers == {}  # the answers live in the group record only
    with pytest.raises(selectors.InvitationRefused) as caught:
        selectors.invitation_for_token(token)
    assert caught.value.reason == "submitted"


def test_changing_the_rules_recomputes_derived_levels(
    programme: Any, city: Any, postcodes: int, users: dict[str, Any]
) -> None:
    household = household_save_answers(
        programme=programme, city=city, answers=household_answers(), actor=None
    )
    changed = programme_rules_update(
        programme=programme,
        vulnerability_rule={**programme.vulnerability_rule, "thresholds": [1, 2, 3]},
        capacity_rule=programme.capacity_rule,
        actor=users["administrator"],
    )
    household.refresh_from_db()
    assert household.vulnerability == 3
    assert changed == 1
    assert AuditEvent.objects.filter(action="programme.rules_updated").exists()


def test_invalid_rule_is_refused(programme: Any) -> None:
    with pytest.raises(ValidationError):
        programme_rules_update(
            programme=programme,
            vulnerability_rule={"thresholds": [9, 4]},
            capacity_rule=programme.capacity_rule,
            actor=None,
        )
