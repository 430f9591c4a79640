"""Writers for privacy: record consent, erase a participant's identifying data."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from welcomematch.accounts.models import User
from welcomematch.accounts.services import audit_record
from welcomematch.intake.models import Household, ImportRun, WelcomeGroup
from welcomematch.lifecycle.models import CheckIn, Match, ParticipantRating
from welcomematch.participants.models import ParticipantLink
from welcomematch.privacy.models import Consent, Erasure, Purpose
from welcomematch.surveys.models import Answer, Item

ERR_PURPOSE = _("Choose one of the purposes of consent.")
ERR_TEXT_VERSION = _("Say which version of the consent text the person saw.")
ERR_REASON = _("Write why the data are erased (for example: the person asked for it).")
ERR_ALREADY_ERASED = _("%(reference)s was already erased.")
#: What an erased name reads as.
ERASED = "—"


@transaction.atomic
def consent_record(
    *,
    subject: Household | WelcomeGroup,
    purpose: str,
    given: bool,
    text_version: str,
    actor: User | None,
) -> Consent:
    """Record one consent decision (given or withdrawn) with the time and the text version."""
    if purpose not in Purpose.values:
        raise ValidationError({"purpose": ERR_PURPOSE})
    if not text_version.strip():
        raise ValidationError({"text_version": ERR_TEXT_VERSION})
    consent = Consent(
        household=subject if isinstance(subject, Household) else None,
        group=subject if isinstance(subject, WelcomeGroup) else None,
        purpose=purpose,
        given=given,
        text_version=text_version.strip(),
        decided_at=timezone.now(),
        recorded_by=actor if actor is not None and actor.pk else None,
    )
    consent.full_clean()
    consent.save()
    audit_record(
        actor=actor,
        action="consent.given" if given else "consent.withdrawn",
        obj=subject,
        data={"purpose": purpose, "text_version": consent.text_version},
    )
    return consent


def _erase_match_texts(matches: list[Match]) -> None:
    Match.objects.filter(pk__in=[m.pk for m in matches]).update(end_note="")
    CheckIn.objects.filter(match__in=matches).update(notes="")
    ParticipantRating.objects.filter(match__in=matches).update(comment="")


def _erase_elsewhere(subject: Household | WelcomeGroup) -> None:
    """What identifies ``subject`` outside its own rows: its name in the reports of the survey
    exports it came in through, its free-text survey answers (the coded answers stay: they
    are the research records), and the values and reasons of its history of changes."""
    subject.changes.update(changes=[], reason="")
    for run in ImportRun.objects.filter(programme_id=subject.programme_id).only("report"):
        rows = (run.report or {}).get("rows") if isinstance(run.report, dict) else None
        if not rows:
            continue
        changed = False
        for row in rows:
            if isinstance(row, dict) and row.get("reference") == subject.reference:
                row["label"] = ERASED
                changed = True
        if changed:
            ImportRun.objects.filter(pk=run.pk).update(report=run.report)
    answers = Answer.objects.filter(
        item_code__in=set(Item.objects.filter(scale="text").values_list("code", flat=True))
    )
    if isinstance(subject, Household):
        answers = answers.filter(response__household=subject)
    else:
        answers = answers.filter(response__group=subject)
    answers.delete()
    # The personal page would show what is left: its links stop working for good.
    if isinstance(subject, Household):
        ParticipantLink.objects.filter(household=subject).delete()
    else:
        ParticipantLink.objects.filter(group=subject).delete()


def _start(subject: Household | WelcomeGroup, reason: str) -> None:
    if not reason.strip():
        raise ValidationError({"reason": ERR_REASON})
    if Erasure.objects.filter(
        object_type=subject._meta.label_lower, object_id=str(subject.pk)
    ).exists():
        raise ValidationError(ERR_ALREADY_ERASED % {"reference": subject.reference})


def _finish(subject: Household | WelcomeGroup, reason: str, actor: User | None) -> Erasure:
    erasure = Erasure.objects.create(
        object_type=subject._meta.label_lower,
        object_id=str(subject.pk),
        reference=subject.reference,
        erased_by=actor if actor is not None and actor.pk else None,
        reason=reason.strip(),
    )
    audit_record(actor=actor, action="privacy.erased", obj=subject, data={"reason": reason.strip()})
    return erasure


@transaction.atomic
def household_erase(*, household: Household, reason: str, actor: User | None) -> Erasure:
    """Remove what identifies the household; keep its reference, its coded answers (type,
    levels, scores, persons' age and gender), its matches, rounds and control assignment, so
    research records and the trial register stay intact and every round reproducible."""
    household = Household.objects.select_for_update().get(pk=household.pk)
    _start(household, reason)
    household.contact_name = ERASED
    for field in (
        "contact_phone",
        "contact_email",
        "postcode",
        "municipality",
        "hobbies",
        "support_notes",
        "vulnerability_override_reason",
        "external_uuid",
    ):
        setattr(household, field, "")
    household.latitude = household.longitude = None
    household.withdrawn_at = household.withdrawn_at or timezone.now()
    household.full_clean()
    household.save()
    _erase_match_texts(list(household.matches.all()))
    _erase_elsewhere(household)
    return _finish(household, reason, actor)


@transaction.atomic
def group_erase(*, group: WelcomeGroup, reason: str, actor: User | None) -> Erasure:
    """Remove what identifies the group and its members (names, e-mail, contact details,
    free text, the invitation answers); keep its reference, coded answers and matches."""
    group = WelcomeGroup.objects.select_for_update().get(pk=group.pk)
    _start(group, reason)
    group.name = ERASED
    for field in (
        "contact_email",
        "contact_phone",
        "postcode",
        "motivation",
        "hobbies",
        "availability",
        "capacity_override_reason",
        "external_uuid",
    ):
        setattr(group, field, "")
    group.latitude = group.longitude = None
    group.withdrawn_at = group.withdrawn_at or timezone.now()
    group.full_clean()
    group.save()
    group.members.update(first_name=ERASED, email="", occupation="")
    group.invitations.update(answers={})
    _erase_match_texts(list(group.matches.all()))
    _erase_elsewhere(group)
    return _finish(group, reason, actor)
