"""Erasure and retention reach the participant pages: links go, rating comments are cleared."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from tests.participants.helpers import BASE
from tests.web.helpers import advance
from welcomematch.lifecycle import services as lifecycle
from welcomematch.lifecycle.models import MatchStatus, ParticipantRating
from welcomematch.participants import services
from welcomematch.participants.models import ParticipantLink
from welcomematch.privacy import services as privacy
from welcomematch.privacy.retention import retention_apply


def test_erasing_a_household_deletes_its_links_and_clears_rating_comments(world):
    match = advance(world["match"], MatchStatus.ACTIVE)
    lifecycle.match_rate(match=match, side="household", rating=3, comment="Mijn naam is Amal")
    lifecycle.match_end(match=match, reason="other", note="", actor=None)
    privacy.household_erase(household=world["household"], reason="Verzoek", actor=None)
    assert not ParticipantLink.objects.filter(household=world["household"]).exists()
    assert ParticipantLink.objects.filter(group=world["group"]).exists()
    assert ParticipantRating.objects.get().comment == ""


def test_retention_deletes_links_long_expired_or_withdrawn(world):
    long_ago = timezone.now() - timedelta(days=1000)
    old = services.participant_link_renew(
        actor=None, base_url=BASE, group=world["group"], days=30, now=long_ago
    ).link
    services.participant_link_renew(actor=None, base_url=BASE, group=world["group"])
    rule = "expired or withdrawn personal page links"
    assert {o.rule: o.count for o in retention_apply(dry_run=True)}[rule] >= 1
    retention_apply(dry_run=False)
    assert not ParticipantLink.objects.filter(pk=old.pk).exists()
    assert ParticipantLink.objects.live(now=timezone.now()).filter(group=world["group"]).exists()
    assert ParticipantLink.objects.filter(household=world["household"]).exists()
