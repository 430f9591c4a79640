"""Personal page links: stored as a hash, expire, renewal and revocation close the old link,
e-mail through the mail queue in the participant's language, every step audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.participants.helpers import BASE
from welcomematch.accounts.models import AuditEvent
from welcomematch.mail.models import OutgoingMessage
from welcomematch.participants import selectors, services
from welcomematch.participants.models import ParticipantLink
from welcomematch.tokens import token_hash


def _events(subject, action):
    return AuditEvent.objects.filter(
        object_type=subject._meta.label_lower, object_id=str(subject.pk), action=action
    )


def test_only_the_hash_of_the_token_is_stored(world):
    issued = world["group_link"]
    stored = ParticipantLink.objects.get(pk=issued.link.pk)
    assert stored.token_hash == token_hash(issued.token)
    assert issued.token not in stored.token_hash
    assert issued.url == f"{BASE}/participants/p/{issued.token}/"
    assert selectors.link_for_token(issued.token).pk == stored.pk


def test_an_expired_link_opens_nothing(world):
    issued = world["group_link"]
    later = issued.link.expires_at + timedelta(seconds=1)
    with pytest.raises(selectors.LinkRefused):
        selectors.link_for_token(issued.token, now=later)
    assert selectors.link_for_token(issued.token, now=issued.link.expires_at - timedelta(seconds=1))


def test_a_link_expires_after_the_default_period(world):
    link = world["household_link"].link
    days = (link.expires_at - link.created_at).days
    assert days in (services.LINK_VALID_DAYS - 1, services.LINK_VALID_DAYS)


def test_renewal_closes_the_old_link_and_opens_a_new_one(world):
    old = world["group_link"]
    new = services.participant_link_renew(
        actor=world["coordinator"], base_url=BASE, group=world["group"]
    )
    with pytest.raises(selectors.LinkRefused):
        selectors.link_for_token(old.token)
    assert selectors.link_for_token(new.token).pk == new.link.pk
    assert new.token != old.token
    assert (
        ParticipantLink.objects.live(now=timezone.now()).filter(group=world["group"]).count() == 1
    )
    renewed = _events(world["group"], "participant_link.renewed").get()
    assert renewed.data["replaced"] == [old.link.pk]
    assert renewed.actor == world["coordinator"]
    assert _events(world["group"], "participant_link.created").count() == 1


def test_renewal_keeps_the_language_the_participant_chose(world):
    services.participant_link_set_language(link=world["group_link"].link, language="en")
    new = services.participant_link_renew(actor=None, base_url=BASE, group=world["group"])
    assert new.link.language == "en"


def test_revocation_closes_the_page_and_is_audited(world):
    issued = world["household_link"]
    assert (
        services.participant_link_revoke(actor=world["coordinator"], household=world["household"])
        == 1
    )
    with pytest.raises(selectors.LinkRefused):
        selectors.link_for_token(issued.token)
    event = _events(world["household"], "participant_link.revoked").get()
    assert event.data["links"] == [issued.link.pk]
    with pytest.raises(ValidationError, match="no working personal link"):
        services.participant_link_revoke(actor=None, household=world["household"])


def test_unknown_expired_and_revoked_links_are_refused_alike(world):
    issued = world["household_link"]
    services.participant_link_revoke(actor=None, household=world["household"])
    refusals = []
    for token in (issued.token, "no-such-token"):
        with pytest.raises(selectors.LinkRefused) as caught:
            selectors.link_for_token(token)
        refusals.append((caught.value.status, caught.value.message))
    assert refusals[0] == refusals[1]


def test_the_link_is_emailed_in_the_participants_language(world):
    # The household speaks English (B1) and little Dutch: the same rule as its survey links.
    new = services.participant_link_renew(
        actor=world["coordinator"], base_url=BASE, household=world["household"], send_email=True
    )
    assert new.link.language == "en"
    assert new.emailed_to == "amal@example.org"
    mail = OutgoingMessage.objects.get(purpose="participant.link")
    assert mail.to == "amal@example.org" and mail.language == "en"
    assert new.url in mail.body_text
    assert "Your personal page" in mail.subject
    assert "Dear Amal Youssef" in mail.body_text
    assert _events(world["household"], "participant_link.sent").count() == 1


def test_the_group_gets_its_mail_in_dutch(world):
    services.participant_link_renew(
        actor=None, base_url=BASE, group=world["group"], send_email=True
    )
    mail = OutgoingMessage.objects.get(purpose="participant.link")
    assert mail.language == "nl"
    assert "Uw persoonlijke pagina" in mail.subject


def test_no_email_address_means_no_new_link(world):
    household = world["household"]
    household.contact_email = ""
    household.save()
    before = ParticipantLink.objects.count()
    with pytest.raises(ValidationError, match="no e-mail address"):
        services.participant_link_renew(
            actor=None, base_url=BASE, household=household, send_email=True
        )
    assert ParticipantLink.objects.count() == before
    assert selectors.link_for_token(world["household_link"].token)


def test_a_link_belongs_to_exactly_one_group_or_household(world):
    with pytest.raises(ValueError):
        services.participant_link_renew(actor=None, base_url=BASE)
    with pytest.raises(ValueError):
        services.participant_link_renew(
            actor=None, base_url=BASE, group=world["group"], household=world["household"]
        )


def test_unknown_page_language_is_refused(world):
    with pytest.raises(ValidationError):
        services.participant_link_set_language(link=world["group_link"].link, language="xx")
