"""Withdrawing a group or household from the programme, and undoing a withdrawal.

A withdrawn participant leaves every future pool: the one "ready to match" rule
(``matching.selectors.group_ready_condition``/``household_ready_condition``) leaves out rows
with ``withdrawn_at``, and a round's confirmation re-checks it. The record and its history
stay. A participant with an open match is not withdrawn here: the match is ended first on its
page (``lifecycle.services.match_end``, with one of the programme's end reasons), so the
breakdown is recorded as such and the other side goes back to the pool.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from welcomematch.accounts.models import User
from welcomematch.accounts.services import audit_record
from welcomematch.i18n import message
from welcomematch.intake.models import Household, RecordChange, WelcomeGroup
from welcomematch.intake.services.records import _record_change

ERR_WITHDRAW_REASON = _("Write why %(reference)s withdraws (for example: moved away).")
ERR_REINSTATE_REASON = _("Write why the withdrawal of %(reference)s is undone.")
ERR_ALREADY_WITHDRAWN = _("%(reference)s has already withdrawn.")
ERR_NOT_WITHDRAWN = _("%(reference)s has not withdrawn, so there is nothing to undo.")
ERR_OPEN_MATCH = _(
    "%(reference)s has an open match (%(match)s). End that match first on its page, with "
    "the reason it ends; then withdraw %(reference)s."
)
ERR_ERASED = _("The data of %(reference)s were erased; an erased record cannot come back.")


def _locked(record: WelcomeGroup | Household) -> WelcomeGroup | Household:
    return type(record).objects.select_for_update().get(pk=record.pk)


def _withdraw(record: WelcomeGroup | Household, *, reason: str, actor: User | None) -> None:
    reference = record.reference
    if not reason.strip():
        raise ValidationError({"reason": message(ERR_WITHDRAW_REASON, reference=reference)})
    if record.withdrawn_at is not None:
        raise ValidationError(message(ERR_ALREADY_WITHDRAWN, reference=reference))
    match = record.matches.open().first()
    if match is not None:
        raise ValidationError(
            message(ERR_OPEN_MATCH, reference=reference, match=str(match)), code="open_match"
        )
    record.withdrawn_at = timezone.now()
    record.full_clean()
    record.save(update_fields=["withdrawn_at", "updated_at"])
    entry = _record_change(
        record=record, action=RecordChange.Action.WITHDRAWN, actor=actor, reason=reason.strip()
    )
    kind = "group" if isinstance(record, WelcomeGroup) else "household"
    audit_record(actor=actor, action=f"{kind}.withdrawn", obj=record, data={"change": entry.pk})


def _reinstate(record: WelcomeGroup | Household, *, reason: str, actor: User | None) -> None:
    from welcomematch.privacy.models import Erasure

    reference = record.reference
    if record.withdrawn_at is None:
        raise ValidationError(message(ERR_NOT_WITHDRAWN, reference=reference))
    if not reason.strip():
        raise ValidationError({"reason": message(ERR_REINSTATE_REASON, reference=reference)})
    if Erasure.objects.filter(
        object_type=record._meta.label_lower, object_id=str(record.pk)
    ).exists():
        raise ValidationError(message(ERR_ERASED, reference=reference))
    record.withdrawn_at = None
    record.full_clean()
    record.save(update_fields=["withdrawn_at", "updated_at"])
    entry = _record_change(
        record=record, action=RecordChange.Action.REINSTATED, actor=actor, reason=reason.strip()
    )
    kind = "group" if isinstance(record, WelcomeGroup) else "household"
    audit_record(actor=actor, action=f"{kind}.reinstated", obj=record, data={"change": entry.pk})


@transaction.atomic
def group_withdraw(*, group: WelcomeGroup, reason: str, actor: User | None) -> WelcomeGroup:
    """The group leaves the programme (and every future pool), with a written reason."""
    locked = _locked(group)
    _withdraw(locked, reason=reason, actor=actor)
    assert isinstance(locked, WelcomeGroup)
    return locked


@transaction.atomic
def household_withdraw(*, household: Household, reason: str, actor: User | None) -> Household:
    """The household leaves the programme (and every future pool), with a written reason."""
    locked = _locked(household)
    _withdraw(locked, reason=reason, actor=actor)
    assert isinstance(locked, Household)
    return locked


@transaction.atomic
def group_reinstate(*, group: WelcomeGroup, reason: str, actor: User | None) -> WelcomeGroup:
    """Undo a group's withdrawal (it was a mistake), with a written reason."""
    locked = _locked(group)
    _reinstate(locked, reason=reason, actor=actor)
    assert isinstance(locked, WelcomeGroup)
    return locked


@transaction.atomic
def household_reinstate(*, household: Household, reason: str, actor: User | None) -> Household:
    """Undo a household's withdrawal (it was a mistake), with a written reason."""
    locked = _locked(household)
    _reinstate(locked, reason=reason, actor=actor)
    assert isinstance(locked, Household)
    return locked
