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
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from welcomematch.accounts.models import AuditEvent, Role
from welcomematch.accounts.permissions import MANAGERS, RESEARCH, has_role
from welcomematch.intake.models import Household, WelcomeGroup
from welcomematch.lifecycle.models import Match, MatchStatus
from welcomematch.matching.models import Proposal, UnmatchedEntry
from welcomematch.programmes.models import Category, City
from welcomematch.trial.models import ControlAssignment


class Stage(models.TextChoices):
    """Where a group or household is in the programme; the most advanced stage applies."""

    INTAKE_INCOMPLETE = "intake_incomplete", _("Intake incomplete")
    READY = "ready", _("Ready to match")
    MATCHED = "matched", _("Matched")
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")
    CONTROL = "control", _("Control")


#: Match statuses of a pair that has been proposed or introduced but has not started.
OPEN_STATUSES = (MatchStatus.PROPOSED, MatchStatus.INTRODUCED)
CLOSED_STATUSES = (MatchStatus.ENDED, MatchStatus.COMPLETED)


def _stage_expression(*, side: str, control: Any = None) -> Case:
    """``CASE`` giving the stage, in order: control, active, matched, ended, ready, incomplete."""

    def has_match(statuses: tuple[str, ...]) -> Exists:
        return Exists(Match.objects.filter(**{side: OuterRef("pk")}, status__in=statuses))

    whens = []
    if control is not None:
        whens.append(When(control, then=Value(Stage.CONTROL.value)))
    whens += [
        When(has_match((MatchStatus.ACTIVE,)), then=Value(Stage.ACTIVE.value)),
        When(has_match(OPEN_STATUSES), then=Value(Stage.MATCHED.value)),
        When(withdrawn_at__isnull=False, then=Value(Stage.ENDED.value)),
        When(has_match(CLOSED_STATUSES), then=Value(Stage.ENDED.value)),
        When(intake_completed_at__isnull=False, then=Value(Stage.READY.value)),
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
    return qs.annotate(stage=_stage_expression(side="group"))


def households_with_stage(
    households: QuerySet[Household] | None = None,
) -> QuerySet[Household]:
    """Households annotated with ``stage`` and ``vulnerability_level`` (override over derived)."""
    qs = households if households is not None else Household.objects.all()
    control = Exists(ControlAssignment.objects.filter(household=OuterRef("pk")))
    return qs.annotate(
        stage=_stage_expression(side="household", control=control),
        vulnerability_level_db=Coalesce(
            "vulnerability_override", "vulnerability", output_field=IntegerField()
        ),
    )


# --- who sees what -------------------------------------------------------------------------


def _in_programme(qs: QuerySet[Any], user: Any) -> QuerySet[Any]:
    """Users bound to a programme see only its records; superusers see every programme."""
    if user.is_superuser or not getattr(user, "programme_id", None):
        return qs
    return qs.filter(programme_id=user.programme_id)


def _ambassador_matches(user: Any) -> QuerySet[Match]:
    return Match.objects.filter(ambassador__user=user)


def visible_groups(*, user: Any) -> QuerySet[WelcomeGroup]:
    """Groups ``user`` may open: managers all of their programme, ambassadors their matches'."""
    if has_role(user, MANAGERS):
        return _in_programme(WelcomeGroup.objects.all(), user)
    if getattr(user, "role", None) == Role.AMBASSADOR:
        return WelcomeGroup.objects.filter(pk__in=_ambassador_matches(user).values("group_id"))
    return WelcomeGroup.objects.none()


def visible_households(*, user: Any) -> QuerySet[Household]:
    """Households ``user`` may open: managers all of their programme, ambassadors their matches'."""
    if has_role(user, MANAGERS):
        return _in_programme(Household.objects.all(), user)
    if getattr(user, "role", None) == Role.AMBASSADOR:
        return Household.objects.filter(pk__in=_ambassador_matches(user).values("household_id"))
    return Household.objects.none()


def visible_matches(*, user: Any) -> QuerySet[Match]:
    """Matches whose history ``user`` may read: managers all, ambassadors their own."""
    if has_role(user, MANAGERS):
        return Match.objects.all()
    if getattr(user, "role", None) == Role.AMBASSADOR:
        return _ambassador_matches(user)
    return Match.objects.none()


def counted_participants(*, user: Any) -> tuple[QuerySet[WelcomeGroup], QuerySet[Household]]:
    """Whom the dashboard counts: what the user may open; researchers count everyone.

    Researchers only ever see these as aggregate figures, without links to the records.
    """
    if has_role(user, MANAGERS) or not has_role(user, RESEARCH):
        return visible_groups(user=user), visible_households(user=user)
    return (
        _in_programme(WelcomeGroup.objects.all(), user),
        _in_programme(Household.objects.all(), user),
    )


# --- lists ---------------------------------------------------------------------------------


def _search(qs: QuerySet[Any], *, q: str, name_field: str) -> QuerySet[Any]:
    q = q.strip()
    if not q:
        return qs
    condition = (
        Q(reference__icontains=q) | Q(**{f"{name_field}__icontains": q}) | Q(postcode__icontains=q)
    )
    compact = q.replace(" ", "")
    if len(compact) == 6 and compact[:4].isdigit():  # "1315ab" finds "1315 AB"
        condition |= Q(postcode__iexact=f"{compact[:4]} {compact[4:]}")
    return qs.filter(condition)


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
    qs = _search(qs, q=q, name_field="name")
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
    qs = _search(qs, q=q, name_field="contact_name")
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
    cities = City.objects.order_by("name")
    if not user.is_superuser and getattr(user, "programme_id", None):
        cities = cities.filter(programme_id=user.programme_id)
    return cities


# --- detail pages --------------------------------------------------------------------------


def categories(*, kinds: tuple[str, ...]) -> QuerySet[Category]:
    """Category entries of the given lists (labels are read in the active language)."""
    return Category.objects.filter(kind__in=kinds)


def record_audit_trail(*, obj: models.Model) -> QuerySet[AuditEvent]:
    """The audit events of one record, newest first."""
    return AuditEvent.objects.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).select_related("actor")


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
    return Proposal.objects.filter(group=group).select_related("round", "household")


def household_proposals(*, household: Household) -> QuerySet[Proposal]:
    return Proposal.objects.filter(household=household).select_related("round", "group")


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
