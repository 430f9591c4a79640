"""Pages for matches through their year.

Managers see and change every match of their programme. A cultural ambassador sees only the
matches assigned to them, without sensitive household data, and may only record check-ins.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Model
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_POST

from welcomematch.accounts import scope
from welcomematch.accounts.models import AuditEvent, User
from welcomematch.accounts.permissions import MANAGERS, STAFF, has_role, role_required
from welcomematch.lifecycle import selectors, services
from welcomematch.lifecycle.forms import (
    MATCH_STATUS_LABELS,
    AmbassadorForm,
    CheckInForm,
    EndForm,
    FirstMeetingForm,
    GoalForm,
    GoalStatusForm,
    MatchFilterForm,
)
from welcomematch.lifecycle.models import JointGoal, Match, MatchStatus
from welcomematch.programmes.models import CategoryKind
from welcomematch.programmes.selectors import category_labels

#: Audit actions in words, for the audit trail on round and match pages.
AUDIT_LABELS = {
    "round.created": gettext_lazy("Round created"),
    "round.run": gettext_lazy("Round run"),
    "round.rerun": gettext_lazy("Round run again"),
    "round.confirmed": gettext_lazy("Round confirmed"),
    "round.cancelled": gettext_lazy("Round cancelled"),
    "match.proposed": gettext_lazy("Match proposed by a confirmed round"),
    "match.introduced": pgettext_lazy("audit", "First meeting planned"),
    "match.active": gettext_lazy("Match started"),
    "match.ended": gettext_lazy("Match ended early"),
    "match.completed": gettext_lazy("Match completed"),
    "match.ambassador_assigned": gettext_lazy("Cultural ambassador changed"),
    "match.checkin": gettext_lazy("Check-in recorded"),
    "match.goal_added": gettext_lazy("Joint goal added"),
    "match.goal_status": gettext_lazy("Joint goal status changed"),
    "control.assigned": gettext_lazy("Control household assigned"),
}


def audit_rows(*objects: Model) -> list[AuditEvent]:
    """The audit trail of ``objects`` with a readable ``label`` on each event."""
    events = list(selectors.audit_trail(*objects))
    for event in events:
        event.label = str(AUDIT_LABELS.get(event.action, event.action))  # type: ignore[attr-defined]
    return events


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _visible(request: HttpRequest) -> Any:
    return selectors.matches_visible_to(user=_user(request))


def _get_match(request: HttpRequest, pk: int, *, manage: bool = False) -> Match:
    """The match, if this user may see it: 404 outside the user's programme scope, 403 inside
    it when the role may not open it; ``manage`` demands a manager."""
    user = _user(request)
    if manage and not has_role(user, MANAGERS):
        raise PermissionDenied
    return scope.get_visible_or_deny(
        _visible(request).select_related("group", "household"), scope.scoped_matches(user), pk
    )


#: Matches per page of the match list.
MATCH_PAGE_SIZE = 25


@require_GET
@role_required(STAFF)
def match_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = MatchFilterForm(request.GET or None, cities=scope.programme_scope(user).cities)
    filters: dict[str, Any] = {}
    if form.is_valid():
        filters = {
            "status": form.cleaned_data["status"],
            "city": form.cleaned_data["city"],
            "attention": form.cleaned_data["attention"],
        }
    page = Paginator(
        selectors.matches_filtered(matches=_visible(request), **filters), MATCH_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    matches = list(page.object_list)
    for match in matches:
        match.status_label = MATCH_STATUS_LABELS[MatchStatus(match.status)]
    return render(
        request,
        "lifecycle/match_list.html",
        {
            "form": form,
            "matches": matches,
            "page": page,
            "attention_days": selectors.ATTENTION_AFTER_DAYS,
            "manager": has_role(user, MANAGERS),
        },
    )


def _statuses(match: Match) -> set[str]:
    return set(services.MATCH_TRANSITIONS[match.status])


def _detail(request: HttpRequest, match: Match, status: int = 200, **forms: Form) -> HttpResponse:
    user = _user(request)
    manager = has_role(user, MANAGERS)
    open_ = match.is_open
    next_steps = _statuses(match)
    labels = category_labels(
        CategoryKind.GOAL,
        CategoryKind.HOUSEHOLD_TYPE,
        CategoryKind.GROUP_TYPE,
        CategoryKind.LANGUAGE,
        CategoryKind.END_REASON,
    )
    goals = list(selectors.goals_of(match=match))
    for goal in goals:
        goal.label = labels(CategoryKind.GOAL, goal.goal)  # type: ignore[attr-defined]
        goal.status_form = GoalStatusForm(initial={"status": goal.status}, prefix=f"goal{goal.pk}")  # type: ignore[attr-defined]
    context: dict[str, Any] = {
        "match": selectors.with_attention(Match.objects.filter(pk=match.pk))
        .select_related("group", "household", "household__city", "ambassador", "round")
        .get(),
        "manager": manager,
        "status_label": MATCH_STATUS_LABELS[MatchStatus(match.status)],
        "sensitive": user.sees_sensitive_data,
        "open": open_,
        "can_plan": manager and MatchStatus.INTRODUCED in next_steps,
        "can_start": manager and MatchStatus.ACTIVE in next_steps,
        "can_complete": manager and MatchStatus.COMPLETED in next_steps,
        "can_end": manager and MatchStatus.ENDED in next_steps,
        "household_type": labels(CategoryKind.HOUSEHOLD_TYPE, match.household.household_type),
        "group_type": labels(CategoryKind.GROUP_TYPE, match.group.group_type),
        "languages": labels.many(CategoryKind.LANGUAGE, match.household.languages),
        "end_reason": labels(CategoryKind.END_REASON, match.end_reason),
        "checkins": selectors.checkins_of(match=match),
        "goals": goals,
        "audit": audit_rows(match) if manager else [],
        "first_meeting_form": forms.get("first_meeting_form") or FirstMeetingForm(),
        "end_form": forms.get("end_form") or EndForm(),
        "checkin_form": forms.get("checkin_form") or CheckInForm(),
        "goal_form": forms.get("goal_form") or GoalForm(),
    }
    if manager:
        context["ambassador_form"] = forms.get("ambassador_form") or AmbassadorForm(
            programme=match.household.programme, initial={"ambassador": match.ambassador_id}
        )
        context["suggestions"] = services.ambassador_suggestions(match=match) if open_ else []
    return render(request, "lifecycle/match_detail.html", context, status=status)


@require_GET
@role_required(STAFF)
def match_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _get_match(request, pk))


def _apply_errors(form: Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _done(request: HttpRequest, match: Match, text: str) -> HttpResponse:
    messages.success(request, text)
    return redirect("lifecycle:match_detail", pk=match.pk)


def _refused(request: HttpRequest, match: Match, error: ValidationError) -> HttpResponse:
    for message in error.messages:
        messages.error(request, message)
    return redirect("lifecycle:match_detail", pk=match.pk)


@require_POST
@role_required(MANAGERS)
def match_first_meeting(request: HttpRequest, pk: int) -> HttpResponse:
    match = _get_match(request, pk, manage=True)
    form = FirstMeetingForm(request.POST)
    if not form.is_valid():
        return _detail(request, match, 400, first_meeting_form=form)
    try:
        services.match_plan_first_meeting(
            match=match, when=form.cleaned_data["when"], actor=_user(request)
        )
    except ValidationError as error:
        return _refused(request, match, error)
    return _done(request, match, _("The first meeting is planned."))


@require_POST
@role_required(MANAGERS)
def match_start(request: HttpRequest, pk: int) -> HttpResponse:
    match = _get_match(request, pk, manage=True)
    try:
        services.match_start(match=match, actor=_user(request))
    except ValidationError as error:
        return _refused(request, match, error)
    return _done(request, match, _("The match has started: its year begins today."))


@require_POST
@role_required(MANAGERS)
def match_complete(request: HttpRequest, pk: int) -> HttpResponse:
    match = _get_match(request, pk, manage=True)
    try:
        services.match_complete(match=match, actor=_user(request))
    except ValidationError as error:
        return _refused(request, match, error)
    return _done(request, match, _("The match is completed. Well done!"))


@require_POST
@role_required(MANAGERS)
def match_end(request: HttpRequest, pk: int) -> HttpResponse:
    match = _get_match(request, pk, manage=True)
    form = EndForm(request.POST)
    if not form.is_valid():
        return _detail(request, match, 400, end_form=form)
    try:
        services.match_end(
            match=match,
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
            actor=_user(request),
        )
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            _apply_errors(form, error)
            return _detail(request, match, 400, end_form=form)
        return _refused(request, match, error)
    return _done(
        request,
        match,
        _(
            "The match has ended. This pair will not be proposed again; both can be matched "
            "with someone else in a later round."
        ),
    )


@require_POST
@role_required(MANAGERS)
def match_ambassador(request: HttpRequest, pk: int) -> HttpResponse:
    match = _get_match(request, pk, manage=True)
    form = AmbassadorForm(request.POST, programme=match.household.programme)
    if not form.is_valid():
        return _detail(request, match, 400, ambassador_form=form)
    try:
        services.match_assign_ambassador(
            match=match, ambassador=form.cleaned_data["ambassador"], actor=_user(request)
        )
    except ValidationError as error:
        _apply_errors(form, error)
        return _detail(request, match, 400, ambassador_form=form)
    return _done(request, match, _("The cultural ambassador is saved."))


@require_POST
@role_required(STAFF)
def checkin_add(request: HttpRequest, pk: int) -> HttpResponse:
    match = _get_match(request, pk)
    form = CheckInForm(request.POST)
    if not form.is_valid():
        return _detail(request, match, 400, checkin_form=form)
    try:
        services.checkin_record(match=match, actor=_user(request), **form.cleaned_data)
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            _apply_errors(form, error)
            return _detail(request, match, 400, checkin_form=form)
        return _refused(request, match, error)
    return _done(request, match, _("The check-in is saved."))


@require_POST
@role_required(MANAGERS)
def goal_add(request: HttpRequest, pk: int) -> HttpResponse:
    match = _get_match(request, pk, manage=True)
    form = GoalForm(request.POST)
    if not form.is_valid():
        return _detail(request, match, 400, goal_form=form)
    try:
        services.goal_add(match=match, actor=_user(request), **form.cleaned_data)
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            _apply_errors(form, error)
            return _detail(request, match, 400, goal_form=form)
        return _refused(request, match, error)
    return _done(request, match, _("The joint goal is added."))


@require_POST
@role_required(MANAGERS)
def goal_status(request: HttpRequest, pk: int, goal_pk: int) -> HttpResponse:
    match = _get_match(request, pk, manage=True)
    goal = get_object_or_404(JointGoal, pk=goal_pk, match=match)
    form = GoalStatusForm(request.POST, prefix=f"goal{goal.pk}")
    if not form.is_valid():
        messages.error(request, _("Choose a status from the list."))
        return redirect("lifecycle:match_detail", pk=match.pk)
    try:
        services.goal_set_status(
            goal=goal, status=JointGoal.Status(form.cleaned_data["status"]), actor=_user(request)
        )
    except ValidationError as error:
        return _refused(request, match, error)
    return _done(request, match, _("The goal's status is saved."))
