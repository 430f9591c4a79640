"""Read-only queries behind the web pages: who sees which participants, and in which stage.

Every selector returns a queryset. The stage of a group or household is computed by the
database (:func:`groups_with_stage`, :func:`households_with_stage`), so lists can filter,
sort and count by stage without loading rows into Python.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils.translation import gettext_lazy as _

from welcomematch.accounts import scope
from welcomematch.accounts.models import AuditEvent, Role
from welcomematch.accounts.permissions import MANAGERS, RESEARCH, has_role
from welcomematch.intake.models import Household, WelcomeGroup
from welcomematch.lifecycle.models import OPEN_MATCH_STATUSES, Match, MatchStatus
from welcomematch.matching.models import Proposal, UnmatchedEntry
from welcomematch.matching.selectors import group_ready_condition, household_ready_condition
from welcomematch.privacy.models import Purpose
from welcomematch.privacy.selectors import consent_given
from welcomematch.programmes.models import City
from welcomematch.trial.models import ControlAssignment


class Stage(models.TextChoices):
    """Where a group or household is in the programme; the most advanced stage applies."""

    INTAKE_INCOMPLETE = "intake_incomplete", _("Intake incomplete")
    READY = "ready", _("Ready to match")
    MATCHED = "matched", _("Matched")
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")
    CONTROL = "control", _("Control")


def _stage_expression(*, side: str, ready: Q, control: Any = None) -> Case:
    """``CASE`` giving the stage, in order: control, active, matched, ended, ready, incomplete.

    Ready is exactly the round's pool (:mod:`welcomematch.matching.selectors`), so a participant
    whose match ended early is ready again; ended means withdrawn or the programme year
    completed.
    """

    def has_match(statuses: tuple[str, ...]) -> Exists:
        return Exists(Match.objects.filter(**{side: OuterRef("pk")}, status__in=statuses))

    whens = []
    if control is not None:
        whens.append(When(control, then=Value(Stage.CONTROL.value)))
    whens += [
        When(has_match((MatchStatus.ACTIVE,)), then=Value(Stage.ACTIVE.value)),
        When(has_match(OPEN_MATCH_STATUSES), then=Value(Stage.MATCHED.value)),
        When(withdrawn_at__isnull=False, then=Value(Stage.ENDED.value)),
        When(has_match((MatchStatus.COMPLETED,)), then=Value(Stage.ENDED.value)),
        When(ready, then=Value(Stage.READY.value)),
    ]
    return Case(*whens, default=Value(Stage.INTAKE_INCOMPLETE.value), output_field=CharField())


#: Stages in the order a participant passes through them, for sorting.
STAGE_ORDER = (
    Stage.INTAKE_INCOMPLETE,
    Stage.READY,
    Stage.MATCHED,
    Stage.ACTIVE,
    Stage.ENDED,
    Stage.CONTROL,
)


def _stage_rank() -> Case:
    """The position of the annotated ``stage`` in :data:`STAGE_ORDER`, to sort by progress."""
    return Case(
        *(When(stage=stage.value, then=Value(i)) for i, stage in enumerate(STAGE_ORDER)),
        output_field=IntegerField(),
    )


def groups_with_stage(groups: QuerySet[WelcomeGroup] | None = None) -> QuerySet[WelcomeGroup]:
    """Groups annotated with ``stage`` (a :class:`Stage` value). Groups are never controls."""
    qs = groups if groups is not None else WelcomeGroup.objects.all()
    return qs.annotate(stage=_stage_expression(side="group", ready=group_ready_condition()))


def households_with_stage(
    households: QuerySet[Household] | None = None,
) -> QuerySet[Household]:
    """Households annotated with ``stage`` and ``vulnerability_level`` (override over derived)."""
    qs = households if households is not None else Household.objects.all()
    control = Exists(ControlAssignment.objects.filter(household=OuterRef("pk")))
    return qs.annotate(
        stage=_stage_expression(
            side="household", ready=household_ready_condition(), control=control
        ),
        vulnerability_level_db=Household.vulnerability_level.expression(),
    )


# --- who sees what (one rule: welcomematch.accounts.scope) ---------------------------------


def visible_groups(*, user: Any) -> QuerySet[WelcomeGroup]:
    """Groups ``user`` may open (:func:`welcomematch.accounts.scope.visible_groups`)."""
    return scope.visible_groups(user)


def visible_households(*, user: Any) -> QuerySet[Household]:
    """Households ``user`` may open (:func:`welcomematch.accounts.scope.visible_households`)."""
    return scope.visible_households(user)


def visible_matches(*, user: Any) -> QuerySet[Match]:
    """Matches whose history ``user`` may read (:func:`welcomematch.accounts.scope.visible_matches`)."""
    return scope.visible_matches(user)


def counted_participants(*, user: Any) -> tuple[QuerySet[WelcomeGroup], QuerySet[Household]]:
    """Whom the dashboard counts: what the user may open; researchers count everyone.

    Researchers only ever see these as aggregate figures, without links to the records.
    """
    if has_role(user, MANAGERS) or not has_role(user, RESEARCH):
        return visible_groups(user=user), visible_households(user=user)
    return scope.scoped_groups(user), scope.scoped_households(user)


# --- lists ---------------------------------------------------------------------------------


def _search(qs: QuerySet[Any], *, q: str, name_field: str, postcode: bool = True) -> QuerySet[Any]:
    """Search by reference and name, and — for users who may see postcodes — by postcode."""
    q = q.strip()
    if not q:
        return qs
    condition = Q(reference__icontains=q) | Q(**{f"{name_field}__icontains": q})
    if postcode:
        condition |= Q(postcode__icontains=q)
        compact = q.replace(" ", "")
        if len(compact) == 6 and compact[:4].isdigit():  # "1315ab" finds "1315 AB"
            condition |= Q(postcode__iexact=f"{compact[:4]} {compact[4:]}")
    return qs.filter(condition)


def sees_postcodes(*, user: Any) -> bool:
    """Postcodes are for managers, and for contact persons (of the groups they call)."""
    sc = scope.programme_scope(user)
    return sc.manages or sc.role == Role.CONTACT_PERSON


def group_list(
    *,
    user: Any,
    q: str = "",
    city: City | None = None,
    stage: str = "",
    group_type: str = "",
    order_by: tuple[str, ...] = ("reference",),
) -> QuerySet[WelcomeGroup]:
    """The groups ``user`` may see, searched, filtered and sorted."""
    qs: QuerySet[Any] = groups_with_stage(visible_groups(user=user)).select_related("city")
    qs = qs.annotate(member_count=Count("members", distinct=True), stage_rank=_stage_rank())
    qs = _search(qs, q=q, name_field="name", postcode=sees_postcodes(user=user))
    if city is not None:
        qs = qs.filter(city=city)
    if stage:
        qs = qs.filter(stage=stage)
    if group_type:
        qs = qs.filter(group_type=group_type)
    return qs.order_by(*order_by, "pk")


def household_list(
    *,
    user: Any,
    q: str = "",
    city: City | None = None,
    stage: str = "",
    household_type: str = "",
    vulnerability: int | None = None,
    order_by: tuple[str, ...] = ("reference",),
) -> QuerySet[Household]:
    """The households ``user`` may see, searched, filtered and sorted.

    Filtering by vulnerability is for managers only: for anyone else it is ignored, so the
    filter cannot reveal a level the user may not read.
    """
    qs: QuerySet[Any] = households_with_stage(visible_households(user=user)).select_related("city")
    qs = qs.annotate(person_count=Count("persons", distinct=True), stage_rank=_stage_rank())
    qs = _search(qs, q=q, name_field="contact_name", postcode=has_role(user, MANAGERS))
    if city is not None:
        qs = qs.filter(city=city)
    if stage:
        qs = qs.filter(stage=stage)
    if household_type:
        qs = qs.filter(household_type=household_type)
    if vulnerability is not None and has_role(user, MANAGERS):
        qs = qs.filter(vulnerability_level_db=vulnerability)
    if not has_role(user, MANAGERS):
        order_by = tuple(o for o in order_by if "vulnerability" not in o) or ("reference",)
    return qs.order_by(*order_by, "pk")


# --- dashboard -----------------------------------------------------------------------------


def stage_counts(qs: QuerySet[Any]) -> QuerySet[Any]:
    """Rows ``{"city_id", "stage", "n"}`` for a queryset annotated with ``stage``."""
    return qs.values("city_id", "stage").annotate(n=Count("pk")).order_by("city_id", "stage")


def dashboard_cities(*, user: Any) -> QuerySet[City]:
    """Cities shown as dashboard rows."""
    return scope.programme_scope(user).cities


# --- detail pages --------------------------------------------------------------------------


def record_audit_trail(*, obj: models.Model) -> QuerySet[AuditEvent]:
    """The audit events of one record, newest first."""
    return AuditEvent.objects.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).select_related("actor")


def group_contact(*, user: Any, group: WelcomeGroup) -> dict[str, str] | None:
    """The group's contact details for managers and the group's own contact person, else None."""
    sc = scope.programme_scope(user)
    contact_person = group.contact_person
    if sc.manages or (
        sc.role == Role.CONTACT_PERSON
        and contact_person is not None
        and contact_person.user_id == sc.user_id
    ):
        return {"email": group.contact_email, "phone": group.contact_phone}
    return None


def household_contact(*, user: Any, household: Household) -> dict[str, str] | None:
    """The household's contact details and postcode for managers; the phone and e-mail for
    the household's ambassador only when the household agreed to share them (consent for
    the purpose "contact"); else None."""
    sc = scope.programme_scope(user)
    if sc.manages:
        return {
            "email": household.contact_email,
            "phone": household.contact_phone,
            "postcode": household.postcode,
        }
    if sc.role == Role.AMBASSADOR and consent_given(subject=household, purpose=Purpose.CONTACT):
        return {"email": household.contact_email, "phone": household.contact_phone, "postcode": ""}
    return None


def group_matches(*, user: Any, group: WelcomeGroup) -> QuerySet[Match]:
    return (
        visible_matches(user=user)
        .filter(group=group)
        .select_related("household", "ambassador", "round")
        .order_by("-proposed_at", "-pk")
    )


def household_matches(*, user: Any, household: Household) -> QuerySet[Match]:
    return (
        visible_matches(user=user)
        .filter(household=household)
        .select_related("group", "ambassador", "round")
        .order_by("-proposed_at", "-pk")
    )


def group_proposals(*, group: WelcomeGroup) -> QuerySet[Proposal]:
    return Proposal.objects.filter(group=group).select_related("round", "group", "household")


def household_proposals(*, household: Household) -> QuerySet[Proposal]:
    return Proposal.objects.filter(household=household).select_related(
        "round", "group", "household"
    )


def group_unmatched(*, group: WelcomeGroup) -> QuerySet[UnmatchedEntry]:
    return UnmatchedEntry.objects.filter(group=group).select_related("round")


def household_unmatched(*, household: Household) -> QuerySet[UnmatchedEntry]:
    return UnmatchedEntry.objects.filter(household=household).select_related("round")


def group_controls(*, group: WelcomeGroup) -> QuerySet[ControlAssignment]:
    return ControlAssignment.objects.filter(group=group).select_related(
        "round", "household", "treatment_household"
    )


def household_control(*, household: Household) -> QuerySet[ControlAssignment]:
    return ControlAssignment.objects.filter(household=household).select_related("round", "group")


def pipeline_counts(qs: QuerySet[Any]) -> QuerySet[Any]:
    """Rows ``{"city_id", "stage", "introduced", "n"}`` for a queryset annotated with ``stage``;
    ``introduced`` tells matched participants whose first meeting is planned apart."""
    side = "group" if qs.model is WelcomeGroup else "household"
    introduced = Exists(
        Match.objects.filter(**{side: OuterRef("pk")}, status=MatchStatus.INTRODUCED)
    )
    return (
        qs.annotate(introduced=introduced)
        .values("city_id", "stage", "introduced")
        .annotate(n=Count("pk"))
        .order_by("city_id", "stage")
    )
