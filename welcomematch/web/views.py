"""Programme-wide pages: the dashboard, and the lists and records of groups and households.

Views parse input, check the role, and read through one selector per question; they write
nothing. Sensitive fields (health, trauma, support needs, self-sufficiency scores,
vulnerability, origin) are only put in the context for managers, so a template cannot leak
them to anyone else.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from welcomematch.accounts import scope
from welcomematch.accounts.permissions import (
    HOUSEHOLD_READERS,
    MANAGERS,
    RESEARCH,
    STAFF,
    has_role,
    role_required,
)
from welcomematch.accounts.services import audit_read
from welcomematch.charts import Series, StackedBar, bar_chart, stacked_bar_chart
from welcomematch.intake import selectors as intake_selectors
from welcomematch.intake.models import Household, WelcomeGroup
from welcomematch.intake.questions import choice_label
from welcomematch.lifecycle import presenters as lifecycle_presenters
from welcomematch.lifecycle.selectors import waiting_overview
from welcomematch.privacy.selectors import privacy_panel
from welcomematch.programmes.models import CategoryKind
from welcomematch.programmes.selectors import category_labels
from welcomematch.trial import selectors as trial_selectors
from welcomematch.web import presenters, selectors
from welcomematch.web.forms import GroupFilterForm, HouseholdFilterForm

PAGE_SIZE = 25
NO_ACCESS = gettext_lazy(
    "Your account has no role or programme yet, so there is nothing to show. Ask an "
    "administrator to give your account a role and a programme."
)

#: Every category list a record page may show a label from.
DETAIL_KINDS = (
    CategoryKind.HOUSEHOLD_TYPE,
    CategoryKind.GROUP_TYPE,
    CategoryKind.GOAL,
    CategoryKind.END_REASON,
    CategoryKind.ACQUAINTANCE,
    CategoryKind.LANGUAGE,
    CategoryKind.SSM_DOMAIN,
    CategoryKind.SUPPORT_NEED,
    CategoryKind.EDUCATION,
    CategoryKind.SECTOR,
    CategoryKind.EMPLOYMENT,
)

#: Warnings shown on the dashboard; the rest are on the waiting-times page.
DASHBOARD_ALERTS = 10


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Counts per city and stage. Researchers see the aggregate figures but no links."""
    groups, households = selectors.counted_participants(user=request.user)
    cities = list(selectors.dashboard_cities(user=request.user))
    total = _("Total")
    group_table = presenters.stage_table(
        counts=selectors.stage_counts(selectors.groups_with_stage(groups)),
        cities=cities,
        total_label=total,
        # Groups are never drawn as control: that column would always be empty.
        stages=[s for s in selectors.Stage if s != selectors.Stage.CONTROL],
    )
    household_table = presenters.stage_table(
        counts=selectors.stage_counts(selectors.households_with_stage(households)),
        cities=cities,
        total_label=total,
        stages=list(selectors.Stage),
    )
    return render(
        request,
        "web/dashboard.html",
        {
            "group_table": group_table,
            "household_table": household_table,
            "links": has_role(request.user, STAFF),
            "no_access": ""
            if scope.programme_scope(request.user).programme_ids != frozenset()
            else NO_ACCESS,
            **_dashboard_charts(request, groups, households, cities),
        },
    )


def _dashboard_charts(
    request: HttpRequest,
    groups: QuerySet[WelcomeGroup],
    households: QuerySet[Household],
    cities: list[Any],
) -> dict[str, Any]:
    """The charts people would rather look at than read, each with its numbers as a table."""
    segments = [str(label) for _key, label in presenters.PIPELINE]
    rows = presenters.pipeline_rows(
        sides=[
            (_("groups"), selectors.pipeline_counts(selectors.groups_with_stage(groups))),
            (
                _("households"),
                selectors.pipeline_counts(selectors.households_with_stage(households)),
            ),
        ],
        cities=cities,
    )
    context: dict[str, Any] = {"pipeline_segments": segments, "pipeline_rows": rows}
    if rows:
        context["pipeline_chart"] = stacked_bar_chart(
            title=_("Pipeline per city"),
            bars=[StackedBar(label, values) for label, values in rows],
            segments=segments,
            description=_("Groups and households per city at each stage."),
            normalise=False,
            chart_id="pipeline",
        )
    programme = getattr(request.user, "programme", None)
    if programme is None or not has_role(request.user, RESEARCH):
        return context
    overview = waiting_overview(programme=programme)
    bins, met, waiting = lifecycle_presenters.wait_distribution(overview)
    context |= {
        "wait_bins": list(zip(bins, met, waiting, strict=True)),
        "wait_chart": bar_chart(
            title=_("Waiting time from intake"),
            categories=bins,
            series=[
                Series(_("First meeting reached after"), met),
                Series(_("Still waiting for"), waiting),
            ],
            description=_(
                "How long participants waited from their completed intake to the first "
                "meeting, and how long those still waiting have waited so far."
            ),
            y_label=_("participants"),
            chart_id="waiting",
        ),
        "target_days": overview.thresholds.target_days,
    }
    if has_role(request.user, MANAGERS):
        alerts = lifecycle_presenters.alert_rows(overview)
        per_rule = [
            (
                str(lifecycle_presenters.RULE_LABELS[rule]),
                sum(1 for a in alerts if a["rule"] == rule),
            )
            for rule in lifecycle_presenters.RULE_ORDER
        ]
        context |= {
            "alerts": alerts[:DASHBOARD_ALERTS],
            "alert_total": len(alerts),
            "alert_counts": per_rule,
            "alert_chart": bar_chart(
                title=_("Needs attention"),
                categories=[label for label, _n in per_rule],
                series=[Series(_("warnings"), [n for _label, n in per_rule])],
                description=_("Warnings per rule; matches first."),
                chart_id="attention",
            ),
        }
    return context


def _paginate(request: HttpRequest, qs: QuerySet[Any]) -> Any:
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


@role_required(STAFF)
def group_list(request: HttpRequest) -> HttpResponse:
    form = GroupFilterForm(
        request.GET, user=request.user, cities=selectors.dashboard_cities(user=request.user)
    )
    data = form.filters()
    groups = selectors.group_list(
        user=request.user,
        q=data.get("q") or "",
        city=data.get("city"),
        stage=data.get("stage") or "",
        group_type=data.get("group_type") or "",
        order_by=form.ordering() if "sort" in data else ("reference",),
    )
    labels = category_labels(CategoryKind.GROUP_TYPE)
    page = _paginate(request, groups)
    rows = [
        (g, labels(CategoryKind.GROUP_TYPE, g.group_type), selectors.Stage(g.stage).label)
        for g in page
    ]
    return render(
        request,
        "web/group_list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "postcodes": selectors.sees_postcodes(user=request.user),
        },
    )


@role_required(HOUSEHOLD_READERS)
def household_list(request: HttpRequest) -> HttpResponse:
    form = HouseholdFilterForm(
        request.GET, user=request.user, cities=selectors.dashboard_cities(user=request.user)
    )
    data = form.filters()
    households = selectors.household_list(
        user=request.user,
        q=data.get("q") or "",
        city=data.get("city"),
        stage=data.get("stage") or "",
        household_type=data.get("household_type") or "",
        vulnerability=data.get("vulnerability"),
        order_by=form.ordering() if "sort" in data else ("reference",),
    )
    labels = category_labels(CategoryKind.HOUSEHOLD_TYPE)
    page = _paginate(request, households)
    rows = [
        (h, labels(CategoryKind.HOUSEHOLD_TYPE, h.household_type), selectors.Stage(h.stage).label)
        for h in page
    ]
    return render(
        request,
        "web/household_list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "sensitive": has_role(request.user, MANAGERS),
        },
    )


@role_required(STAFF)
def group_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    group: WelcomeGroup = scope.get_visible_or_deny(
        selectors.groups_with_stage(selectors.visible_groups(user=user)).select_related(
            "city", "programme", "contact_person"
        ),
        scope.scoped_groups(user),
        pk,
    )
    labels = category_labels(*DETAIL_KINDS)
    manager = has_role(user, MANAGERS)
    context: dict[str, Any] = {
        "group": group,
        "stage": selectors.Stage(group.stage).label,  # type: ignore[attr-defined]
        "manager": manager,
        "contact": selectors.group_contact(user=user, group=group),
        "group_type": labels(CategoryKind.GROUP_TYPE, group.group_type),
        "acquaintance": labels(CategoryKind.ACQUAINTANCE, group.acquaintance),
        "languages": presenters.languages(labels, group.languages),
        "ranking": labels.many(CategoryKind.HOUSEHOLD_TYPE, group.ranking),
        "members": [
            {
                "member": m,
                "education": labels(CategoryKind.EDUCATION, m.education),
                "sector": labels(CategoryKind.SECTOR, m.sector),
            }
            for m in group.members.all()
        ],
        "matches": [
            (m, labels(CategoryKind.END_REASON, m.end_reason))
            for m in selectors.group_matches(user=user, group=group)
        ],
    }
    if manager:
        context |= {
            "proposals": selectors.group_proposals(group=group),
            "unmatched": selectors.group_unmatched(group=group),
            "controls": selectors.group_controls(group=group),
            "exclusions": group.exclusions.select_related("household", "created_by"),
            "audit": selectors.record_audit_trail(obj=group),
            "withdrawal": intake_selectors.withdrawal_of(group),
            "location_warning": intake_selectors.location_warning(group),
            "privacy": privacy_panel(user=user, subject=group),
        }
    audit_read(actor=user, obj=group, what="web:group_detail", sensitive=manager)  # type: ignore[arg-type]
    return render(request, "web/group_detail.html", context)


@role_required(HOUSEHOLD_READERS)
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    household: Household = scope.get_visible_or_deny(
        selectors.households_with_stage(selectors.visible_households(user=user)).select_related(
            "city", "programme", "interviewer"
        ),
        scope.scoped_households(user),
        pk,
    )
    labels = category_labels(*DETAIL_KINDS)
    manager = has_role(user, MANAGERS)
    context: dict[str, Any] = {
        "household": household,
        "stage": selectors.Stage(household.stage).label,  # type: ignore[attr-defined]
        "manager": manager,
        "contact": selectors.household_contact(user=user, household=household),
        "household_type": labels(CategoryKind.HOUSEHOLD_TYPE, household.household_type),
        "languages": presenters.languages(labels, household.languages),
        "goals": labels.many(CategoryKind.GOAL, household.goals),
        "ranking": labels.many(CategoryKind.GROUP_TYPE, household.ranking),
        "education": labels(CategoryKind.EDUCATION, household.education),
        "work_field": labels(CategoryKind.SECTOR, household.work_field),
        "employment": labels(CategoryKind.EMPLOYMENT, household.employment),
        "persons": household.persons.all(),
        "matches": [
            (m, labels(CategoryKind.END_REASON, m.end_reason))
            for m in selectors.household_matches(user=user, household=household)
        ],
        # The trial arm only for the roles that may see arms (not to an ambassador).
        "trial_control": trial_selectors.control_assignment_of(household)
        if has_role(user, RESEARCH)
        else None,
    }
    if manager:
        context |= {
            "sensitive": {
                "country_of_origin": choice_label("country", household.country_of_origin)
                if household.country_of_origin
                else "",
                "ssm": presenters.ssm_rows(labels, household.ssm_scores),
                "flags": presenters.flag_rows(labels, household.support_flags),
                "notes": household.support_notes,
                "vulnerability": household.vulnerability,
                "vulnerability_override": household.vulnerability_override,
                "vulnerability_override_reason": household.vulnerability_override_reason,
                "vulnerability_level": household.vulnerability_level,
            },
            "proposals": selectors.household_proposals(household=household),
            "unmatched": selectors.household_unmatched(household=household),
            "control": selectors.household_control(household=household).first(),
            "exclusions": household.exclusions.select_related("group", "created_by"),
            "audit": selectors.record_audit_trail(obj=household),
            "withdrawal": intake_selectors.withdrawal_of(household),
            "location_warning": intake_selectors.location_warning(household),
            "privacy": privacy_panel(user=user, subject=household),
        }
    audit_read(actor=user, obj=household, what="web:household_detail", sensitive=manager)  # type: ignore[arg-type]
    return render(request, "web/household_detail.html", context)
