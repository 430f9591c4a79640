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
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from welcomematch.accounts import scope
from welcomematch.accounts.audit_labels import audit_action_label
from welcomematch.accounts.models import AuditEvent, Role, User
from welcomematch.accounts.permissions import MANAGERS, STAFF, has_role, role_required
from welcomematch.lifecycle import presenters, selectors, services
from welcomematch.lifecycle.forms import (
    MATCH_STATUS_LABELS,
    AmbassadorForm,
    CheckInForm,
    EndForm,
    FirstMeetingForm,
    GoalForm,
    GoalStatusForm,
    HelperForm,
    MatchFilterForm,
    TargetsForm,
    helper_initial,
)
from welcomematch.lifecycle.models import (
    ContactPerson,
    CulturalAmbassador,
    JointGoal,
    Match,
    MatchStatus,
)
from welcomematch.programmes.models import CategoryKind, Programme
from welcomematch.programmes.selectors import category_labels
from welcomematch.programmes.services import programme_set_targets


def audit_rows(*objects: Model) -> list[AuditEvent]:
    """The audit trail of ``objects`` with a readable ``label`` on each event."""
    events = list(selectors.audit_trail(*objects))
    for event in events:
        event.label = audit_action_label(event.action)  # type: ignore[attr-defined]
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


#: Ambassadors or contact persons per page of their lists.
HELPER_PAGE_SIZE = 50

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
        "participant_ratings": selectors.participant_ratings_of(match=match) if manager else [],
        "goals": goals,
        "audit": audit_rows(match) if manager else [],
        "first_meeting_form": forms.get("first_meeting_form")
        or FirstMeetingForm(
            initial={"when": timezone.localtime(match.first_meeting_at)}
            if match.first_meeting_at
            else None
        ),
        "moving_first_meeting": match.status == MatchStatus.INTRODUCED,
        "end_form": forms.get("end_form") or EndForm(),
        "checkin_form": forms.get("checkin_form") or CheckInForm(),
        "goal_form": forms.get("goal_form") or GoalForm(),
    }
    if manager:
        context["ambassador_form"] = forms.get("ambassador_form") or AmbassadorForm(
            programme=match.household.programme, initial={"ambassador": match.ambassador_id}
        )
        # A household that declined an ambassador is offered no picker (one given before
        # can still be taken away).
        context["can_pick_ambassador"] = open_ and (
            match.household.wants_ambassador or match.ambassador_id is not None
        )
        if open_ and match.ambassador_id is None and match.household.wants_ambassador:
            suggested, left_out = selectors.ambassador_suggestions(
                programme=match.household.programme,
                matches=Match.objects.filter(pk=match.pk),
                today=timezone.localdate(),
            )
            context["suggestion"] = (
                {"row": suggested[0], "reason": suggestion_reason(suggested[0])}
                if suggested
                else None
            )
            context["no_suggestion"] = left_out_reason(left_out[0]) if left_out else ""
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
    moving = match.status == MatchStatus.INTRODUCED
    try:
        services.match_plan_first_meeting(
            match=match, when=form.cleaned_data["when"], actor=_user(request)
        )
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            _apply_errors(form, error)
            return _detail(request, match, 400, first_meeting_form=form)
        return _refused(request, match, error)
    if moving:
        return _done(request, match, _("The first meeting is moved."))
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


# --- cultural ambassadors and contact persons ---------------------------------------------


def _programme(request: HttpRequest) -> Programme:
    programme = scope.working_programme(_user(request))
    if programme is None:
        raise Http404(_("Your login belongs to no programme."))
    return programme


def _language_words(codes: Any) -> str:
    return ", ".join(category_labels(CategoryKind.LANGUAGE).many(CategoryKind.LANGUAGE, codes))


def _and(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return _("%(first)s and %(last)s") % {"first": ", ".join(words[:-1]), "last": words[-1]}


def _city_words(row: Any) -> str:
    return ", ".join(c.name for c in row.cities.all())


def _availability(row: Any) -> str:
    if not row.active:
        return _("not active")
    if row.unavailable_until and row.unavailable_until >= timezone.localdate():
        return _("unavailable until %(date)s") % {
            "date": formats.date_format(row.unavailable_until)
        }
    return _("available")


def suggestion_reason(suggestion: selectors.SuggestedAmbassador) -> str:
    """Why the core suggests this ambassador, in words."""
    labels = category_labels(CategoryKind.LANGUAGE)
    household = suggestion.match.household
    parts = []
    if suggestion.shared_languages:
        parts.append(
            _("speaks %(languages)s with the household")
            % {"languages": _and(labels.many(CategoryKind.LANGUAGE, suggestion.shared_languages))}
        )
    else:
        parts.append(_("the household speaks Dutch; no interpreting needed"))
    city = household.city.name if household.city else ""
    if suggestion.same_city:
        parts.append(_("works in %(city)s") % {"city": city})
    else:
        parts.append(_("does not work in %(city)s") % {"city": city})
    parts.append(
        _("would have %(load)s of %(maximum)s matches")
        % {"load": suggestion.load_after, "maximum": suggestion.maximum}
    )
    return "; ".join(parts)


def left_out_reason(left: selectors.NoAmbassador) -> str:
    """Why the core suggests nobody for this match, in words."""
    household = left.match.household
    languages = _and(
        category_labels(CategoryKind.LANGUAGE).many(
            CategoryKind.LANGUAGE, [c for c in household.languages if c != "nl"]
        )
    )
    if left.reason == "declined":
        return _("The household does not want a cultural ambassador.")
    if left.reason == "no_language":
        return _("No available ambassador speaks %(languages)s.") % {"languages": languages}
    return _(
        "The ambassadors who speak %(languages)s are full (or needed for matches nobody else "
        "can take)."
    ) % {"languages": languages}


@require_GET
@role_required(MANAGERS)
def ambassador_list(request: HttpRequest) -> HttpResponse:
    programme = _programme(request)
    page = Paginator(
        selectors.ambassadors_with_load(programme=programme), HELPER_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    rows = [
        {
            "row": a,
            "languages": _language_words(a.languages),
            "cities": _city_words(a),
            "availability": _availability(a),
        }
        for a in page.object_list
    ]
    return render(
        request,
        "lifecycle/ambassador_list.html",
        {
            "rows": rows,
            "page": page,
            "waiting": selectors.matches_without_ambassador(programme=programme).count(),
        },
    )


def _helper_form_page(
    request: HttpRequest,
    *,
    kind: str,
    row: CulturalAmbassador | ContactPerson | None,
) -> HttpResponse:
    programme = row.programme if row is not None else _programme(request)
    if row is not None and row.programme_id != _programme(request).pk:
        raise Http404  # another programme's record: its existence is not revealed
    maximum = _("Maximum number of groups") if kind == "contact_person" else None
    if request.method == "POST":
        form = HelperForm(request.POST, programme=programme, maximum_label=maximum)
        if form.is_valid():
            data = form.data_for_service()
            actor = _user(request)
            try:
                if kind == "ambassador":
                    if isinstance(row, CulturalAmbassador):
                        services.ambassador_update(ambassador=row, data=data, actor=actor)
                    else:
                        services.ambassador_create(programme=programme, data=data, actor=actor)
                elif isinstance(row, ContactPerson):
                    services.contact_person_update(contact_person=row, data=data, actor=actor)
                else:
                    services.contact_person_create(programme=programme, data=data, actor=actor)
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(request, _("Saved."))
                return redirect(
                    "lifecycle:ambassador_list"
                    if kind == "ambassador"
                    else "lifecycle:contact_person_list"
                )
        status = 400
    else:
        initial = helper_initial(row) if row is not None else None
        form = HelperForm(initial=initial, programme=programme, maximum_label=maximum)
        status = 200
    return render(
        request,
        "lifecycle/helper_form.html",
        {"form": form, "row": row, "kind": kind},
        status=status,
    )


@role_required(MANAGERS)
def ambassador_new(request: HttpRequest) -> HttpResponse:
    return _helper_form_page(request, kind="ambassador", row=None)


@role_required(MANAGERS)
def ambassador_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _helper_form_page(
        request, kind="ambassador", row=get_object_or_404(CulturalAmbassador, pk=pk)
    )


#: Who may open an ambassador's load page: managers, and the ambassador themselves.
LOAD_READERS = MANAGERS | {Role.AMBASSADOR}


@require_GET
@role_required(LOAD_READERS)
def ambassador_load(request: HttpRequest, pk: int) -> HttpResponse:
    """One ambassador's matches and load: for managers, and for the ambassador themselves."""
    user = _user(request)
    ambassador = get_object_or_404(
        scope.programme_scope(user).filter(
            CulturalAmbassador.objects.select_related("user"), city=None
        ),
        pk=pk,
    )
    manager = has_role(user, MANAGERS)
    if not manager and ambassador.user_id != user.pk:
        raise PermissionDenied
    matches = list(selectors.ambassador_matches(ambassador=ambassador))
    for match in matches:
        match.status_label = MATCH_STATUS_LABELS[MatchStatus(match.status)]  # type: ignore[attr-defined]
    load = len([m for m in matches if m.is_open])
    return render(
        request,
        "lifecycle/ambassador_load.html",
        {
            "ambassador": ambassador,
            "matches": matches,
            "load": load,
            "manager": manager,
            "languages": _language_words(ambassador.languages),
            "cities": _city_words(ambassador),
            "availability": _availability(ambassador),
            "full": load >= ambassador.capacity,
        },
    )


@require_GET
@role_required(MANAGERS)
def contact_person_list(request: HttpRequest) -> HttpResponse:
    programme = _programme(request)
    page = Paginator(
        selectors.contact_persons_with_load(programme=programme), HELPER_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    rows = [
        {
            "row": c,
            "languages": _language_words(c.languages),
            "cities": _city_words(c),
            "availability": _availability(c),
        }
        for c in page.object_list
    ]
    return render(request, "lifecycle/contact_person_list.html", {"rows": rows, "page": page})


@role_required(MANAGERS)
def contact_person_new(request: HttpRequest) -> HttpResponse:
    return _helper_form_page(request, kind="contact_person", row=None)


@role_required(MANAGERS)
def contact_person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _helper_form_page(
        request, kind="contact_person", row=get_object_or_404(ContactPerson, pk=pk)
    )


def _suggest_page(
    request: HttpRequest,
    programme: Programme,
    *,
    errors: list[str] | None = None,
    chosen: dict[int, str] | None = None,
    ticked: set[int] | None = None,
) -> HttpResponse:
    suggested, left_out = selectors.ambassador_suggestions(
        programme=programme,
        matches=selectors.matches_without_ambassador(programme=programme),
        today=timezone.localdate(),
    )
    choices = list(
        selectors.ambassadors_with_load(programme=programme).filter(
            selectors.available_q(timezone.localdate())
        )
    )
    rows = []
    for s in suggested:
        pk = s.match.pk
        rows.append(
            {
                "suggestion": s,
                "reason": suggestion_reason(s),
                "selected": (chosen or {}).get(pk, str(s.ambassador.pk)),
                "ticked": True if ticked is None else pk in ticked,
            }
        )
    return render(
        request,
        "lifecycle/ambassador_suggest.html",
        {
            "rows": rows,
            "left_out": [{"left": n, "reason": left_out_reason(n)} for n in left_out],
            "choices": choices,
            "errors": errors or [],
        },
        status=400 if errors else 200,
    )


@role_required(MANAGERS)
def ambassador_suggest(request: HttpRequest) -> HttpResponse:
    """Suggested ambassadors for every open match without one; the coordinator accepts all,
    unticks or changes some, and saves them in one go."""
    programme = _programme(request)
    if request.method != "POST":
        return _suggest_page(request, programme)
    ticked: set[int] = set()
    chosen: dict[int, str] = {}
    errors: list[str] = []
    for key in request.POST:
        value = request.POST.get(key, "")
        if key.startswith("ambassador-") and key[11:].isdigit():
            chosen[int(key[11:])] = value
    for value in request.POST.getlist("accept"):
        if value.isdigit():
            ticked.add(int(value))
    matches = Match.objects.filter(household__programme=programme, pk__in=ticked).in_bulk()
    ambassador_ids = {int(v) for k, v in chosen.items() if k in ticked and v.isdigit()}
    ambassadors = CulturalAmbassador.objects.filter(
        programme=programme, pk__in=ambassador_ids
    ).in_bulk()
    assignments = []
    for pk in sorted(ticked):
        match = matches.get(pk)
        raw = chosen.get(pk, "")
        ambassador = ambassadors.get(int(raw)) if raw.isdigit() else None
        if match is None:
            errors.append(_("Match %(pk)s does not exist in this programme.") % {"pk": pk})
        elif ambassador is None:
            errors.append(_("Choose an ambassador for match %(match)s.") % {"match": match})
        else:
            assignments.append((match, ambassador))
    if not errors:
        try:
            done = services.ambassadors_assign(
                programme=programme, assignments=assignments, actor=_user(request)
            )
        except ValidationError as error:
            errors = list(error.messages)
        else:
            messages.success(
                request,
                ngettext(
                    "%(count)s match now has a cultural ambassador.",
                    "%(count)s matches now have a cultural ambassador.",
                    len(done),
                )
                % {"count": len(done)},
            )
            return redirect("lifecycle:ambassador_suggest")
    return _suggest_page(request, programme, errors=errors, chosen=chosen, ticked=ticked)


@require_GET
@role_required(MANAGERS)
def waiting_times(request: HttpRequest) -> HttpResponse:
    """Waiting times per city, the longest-waiting list, programme figures and warnings."""
    return _waiting_page(request, _programme(request))


def _waiting_page(
    request: HttpRequest, programme: Programme, *, targets_form: TargetsForm | None = None
) -> HttpResponse:
    overview = selectors.waiting_overview(programme=programme)
    figures = overview.figures
    return render(
        request,
        "lifecycle/waiting_times.html",
        {
            "overview": overview,
            "thresholds": overview.thresholds,
            "per_city": overview.per_city,
            "longest": presenters.longest_rows(overview),
            "waiting_count": len(overview.longest),
            "alerts": presenters.alert_rows(overview),
            "figures": figures,
            "breakdowns": presenters.breakdown_rows(overview),
            "breakdown_total": sum(figures.breakdowns.values()),
            "targets_form": targets_form
            or TargetsForm(
                initial={
                    "target_days": programme.target_days,
                    "first_meeting_days": programme.first_meeting_days,
                    "checkin_gap_days": programme.checkin_gap_days,
                    "low_rating": programme.low_rating,
                }
            ),
        },
        status=400 if targets_form is not None else 200,
    )


@require_POST
@role_required(MANAGERS)
def waiting_targets(request: HttpRequest) -> HttpResponse:
    """Change the programme's targets for waiting times and warnings."""
    programme = _programme(request)
    form = TargetsForm(request.POST)
    if form.is_valid():
        try:
            programme_set_targets(programme=programme, actor=_user(request), **form.cleaned_data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("The targets are saved."))
            return redirect("lifecycle:waiting_times")
    return _waiting_page(request, programme, targets_form=form)
