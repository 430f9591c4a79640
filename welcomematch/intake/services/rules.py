"""The programme's rules: derived vulnerability and capacity levels, overrides, rule changes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from welcomematch.accounts.models import User
from welcomematch.accounts.services import audit_record
from welcomematch.core.composition import Gender as CoreGender
from welcomematch.core.composition import PersonFacts, household_type
from welcomematch.core.levels import CapacityRule, VulnerabilityRule
from welcomematch.i18n import message
from welcomematch.intake.models import Household, OverriddenLevel, WelcomeGroup
from welcomematch.programmes.models import Programme

if TYPE_CHECKING:
    from welcomematch.intake.services.records import PersonData

ERR_NO_ADULT = _("A household needs at least one adult (18 or older).")
ERR_OVERRIDE_REASON = _("An override needs a written reason.")
ERR_RULE_INVALID = _("The rule is not valid: %(problem)s")


def _check(instance: Any) -> None:
    instance.full_clean()


def derive_household_type(persons: Sequence[PersonData]) -> str:
    try:
        facts = [PersonFacts(age=p.age, gender=CoreGender(p.gender)) for p in persons]
        return household_type(facts).value
    except ValueError:
        raise ValidationError({"persons": ERR_NO_ADULT}, code="no_adult") from None


class _Member(Protocol):
    @property
    def age(self) -> int | None: ...
    @property
    def has_children(self) -> bool: ...


#: Ages that bound the group types "young adults (20-30)" and "seniors (50+)".
YOUNG_BELOW, SENIOR_FROM, MIXED_SPREAD = 30, 50, 15


def derive_group_type(members: Sequence[_Member]) -> str:
    """A group's composition type from its members, when the group gave none: with children
    if a member has children; else by the members' mean age (young adults below 30, seniors
    from 50), middle-aged when their ages lie within 15 years, else mixed ages. An empty
    type would rank the group last for every household. No members: no type (yet)."""
    if not members:
        return ""
    if any(m.has_children for m in members):
        return "with_children"
    ages = [m.age for m in members if m.age is not None]
    if not ages:
        return "mixed_ages"
    mean = sum(ages) / len(ages)
    if mean < YOUNG_BELOW:
        return "young_adults"
    if mean >= SENIOR_FROM:
        return "seniors"
    return "middle_aged" if max(ages) - min(ages) < MIXED_SPREAD else "mixed_ages"


def derive_vulnerability(
    *,
    programme: Programme,
    ssm_scores: Mapping[str, int],
    support_flags: Mapping[str, bool],
    household_type: str,
) -> int:
    rule = VulnerabilityRule.from_dict(programme.vulnerability_rule)
    return rule.level(ssm_scores, support_flags, household_type)


def derive_capacity(*, programme: Programme, willingness: int, experience: int) -> int:
    return CapacityRule.from_dict(programme.capacity_rule).level(willingness, experience)


def _set_override(
    *,
    record: WelcomeGroup | Household,
    levels: OverriddenLevel,
    level: int | None,
    reason: str,
    actor: User | None,
    action: str,
) -> None:
    """Set (or clear) the override of ``levels`` on ``record``; a set override needs a reason."""
    reason_field = f"{levels.override}_reason"
    if level is not None and not reason.strip():
        raise ValidationError({reason_field: ERR_OVERRIDE_REASON})
    before = getattr(record, levels.override)
    setattr(record, levels.override, level)
    setattr(record, reason_field, reason.strip() if level is not None else "")
    _check(record)
    record.save(update_fields=[levels.override, reason_field, "updated_at"])
    audit_record(
        actor=actor,
        action=action,
        obj=record,
        data={
            "before": before,
            "after": level,
            "derived": getattr(record, levels.derived),
            "reason": reason,
        },
    )


@transaction.atomic
def household_override_vulnerability(
    *, household: Household, level: int | None, reason: str, actor: User | None
) -> Household:
    """Set (or clear, with ``level=None``) a coordinator's override of the derived level."""
    _set_override(
        record=household,
        levels=Household.vulnerability_level,
        level=level,
        reason=reason,
        actor=actor,
        action="household.vulnerability_overridden",
    )
    return household


@transaction.atomic
def group_override_capacity(
    *, group: WelcomeGroup, level: int | None, reason: str, actor: User | None
) -> WelcomeGroup:
    """Set (or clear, with ``level=None``) a coordinator's override of the derived capacity."""
    _set_override(
        record=group,
        levels=WelcomeGroup.capacity_level,
        level=level,
        reason=reason,
        actor=actor,
        action="group.capacity_overridden",
    )
    return group


@transaction.atomic
def programme_rules_update(
    *,
    programme: Programme,
    vulnerability_rule: Mapping[str, Any],
    capacity_rule: Mapping[str, Any],
    actor: User | None,
) -> int:
    """Change the vulnerability and capacity rules; every derived level is computed again.

    Returns the number of groups and households whose derived level changed.
    """
    try:
        vrule = VulnerabilityRule.from_dict(vulnerability_rule)
        crule = CapacityRule.from_dict(capacity_rule)
    except (ValueError, TypeError, AttributeError) as error:
        raise ValidationError(message(ERR_RULE_INVALID, problem=error)) from None
    before = {
        "vulnerability_rule": programme.vulnerability_rule,
        "capacity_rule": programme.capacity_rule,
    }
    programme.vulnerability_rule = vrule.to_dict()
    programme.capacity_rule = crule.to_dict()
    programme.full_clean()
    programme.save(update_fields=["vulnerability_rule", "capacity_rule"])
    changed = 0
    for group in WelcomeGroup.objects.filter(programme=programme):
        level = crule.level(group.willingness, group.experience)
        if level != group.capacity:
            group.capacity = level
            group.save(update_fields=["capacity", "updated_at"])
            changed += 1
    for household in Household.objects.filter(programme=programme):
        level = vrule.level(household.ssm_scores, household.support_flags, household.household_type)
        if level != household.vulnerability:
            household.vulnerability = level
            household.save(update_fields=["vulnerability", "updated_at"])
            changed += 1
    audit_record(
        actor=actor,
        action="programme.rules_updated",
        obj=programme,
        data={"before": before, "changed_levels": changed},
    )
    return changed
