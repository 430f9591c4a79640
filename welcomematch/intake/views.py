"""Intake pages: group invitations and self-intake, household interviews, levels, import."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from welcomematch.accounts import scope
from welcomematch.accounts.models import Role
from welcomematch.accounts.permissions import MANAGERS, RESEARCH, has_role, role_required
from welcomematch.accounts.services import audit_event_record, audit_read
from welcomematch.core.levels import SSM_DOMAINS, CapacityRule, VulnerabilityRule
from welcomematch.intake import questions as q
from welcomematch.intake import selectors
from welcomematch.intake.changes import describe_all, display_answer
from welcomematch.intake.forms import (
    DELIVERY_EMAIL,
    CityForm,
    GroupInviteForm,
    ImportMappingForm,
    ImportUploadForm,
    InvitationSendForm,
    OverrideForm,
    QuestionForm,
    ReasonForm,
    RulesForm,
    repeat_formset,
)
from welcomematch.intake.importing import (
    MAX_TOTAL_BYTES,
    import_commit,
    import_preview,
    import_remap,
    mapping_targets,
)
from welcomematch.intake.models import (
    GroupInvitation,
    Household,
    ImportRun,
    WelcomeGroup,
)
from welcomematch.intake.services import (
    group_invite,
    group_override_capacity,
    household_override_vulnerability,
    household_save_answers,
    invitation_create,
    invitation_revoke,
    invitation_save_progress,
    invitation_submit,
    programme_rules_update,
)
from welcomematch.intake.xlsform import xlsform_bytes
from welcomematch.notifications.selectors import group_language
from welcomematch.participants.views import link_panel as participant_link_panel
from welcomematch.programmes.models import CategoryKind, Programme
from welcomematch.programmes.selectors import category_labels
from welcomematch.trial.selectors import control_assignment_of

ADMINISTRATORS = frozenset({Role.ADMINISTRATOR})
GROUP = q.GROUP_QUESTIONNAIRE
HOUSEHOLD = q.HOUSEHOLD_QUESTIONNAIRE
STEPS: tuple[str, ...] = tuple(s.name for s in GROUP.sections)
SESSION_TOKEN = "intake_invitation_token_{pk}"


def _programme(request: HttpRequest) -> Programme:
    programme = scope.working_programme(request.user)
    if programme is None:
        raise Http404(_("No programme has been set up yet."))
    return programme


def _mine(queryset: QuerySet[Any], request: HttpRequest, field: str = "") -> QuerySet[Any]:
    """Only the records of the user's programme scope (``field``: path to the group or household)."""
    prefix = f"{field}__" if field else ""
    return scope.programme_scope(request.user).filter(
        queryset, programme=f"{prefix}programme", city=f"{prefix}city"
    )


def _limit_cities(form: Any, request: HttpRequest) -> Any:
    """Offer only the cities of the user's scope in the form's city field."""
    field = form.fields["city"]
    field.queryset = scope.programme_scope(request.user).filter(field.queryset, city="pk")
    return form


def _invitation_link(request: HttpRequest, token: str) -> str:
    return request.build_absolute_uri(reverse("intake:welcome", args=[token]))


def _base_url(request: HttpRequest) -> str:
    """Scheme and host the coordinator reached the site at, for links sent by e-mail."""
    return request.build_absolute_uri("/").rstrip("/")


# --- display helpers ---------------------------------------------------------------------


def _summary(questionnaire: q.Questionnaire, answers: dict[str, Any]) -> list[dict[str, Any]]:
    sections = []
    for section in questionnaire.sections:
        questions = questionnaire.in_section(section.name)
        if section.repeat:
            rows = [
                [
                    (question.label, display_answer(question, row.get(question.name)))
                    for question in questions
                ]
                for row in answers.get(section.name) or []
            ]
            missing = not rows or any(
                q.missing_answers(questionnaire, row, section=section.name)
                for row in answers.get(section.name) or []
            )
            sections.append({"section": section, "rows": rows, "missing": missing})
            continue
        items = [
            {"question": question, "value": display_answer(question, answers.get(question.name))}
            for question in questions
        ]
        missing = bool(q.missing_answers(questionnaire, answers, section=section.name))
        sections.append({"section": section, "items": items, "missing": missing})
    return sections


def _vulnerability_breakdown(household: Household) -> dict[str, Any]:
    rule = VulnerabilityRule.from_dict(household.programme.vulnerability_rule)
    domains = []
    for domain in SSM_DOMAINS:
        score = int(household.ssm_scores.get(domain, 5))
        label = q.SSM_DOMAIN_LABELS[domain]
        domains.append(
            {"label": q._pick(*label), "score": score, "points": rule.score_points.get(score, 0)}
        )
    labels = category_labels(CategoryKind.SUPPORT_NEED)
    flags = [
        {
            "flag": flag,
            "label": labels(CategoryKind.SUPPORT_NEED, flag),
            "points": points,
            "set": bool(household.support_flags.get(flag)),
        }
        for flag, points in rule.flag_points.items()
    ]
    return {
        "domains": domains,
        "flags": flags,
        "type_points": rule.type_points.get(household.household_type, 0),
        "points": rule.points(
            household.ssm_scores, household.support_flags, household.household_type
        ),
        "thresholds": rule.thresholds,
        "level": household.vulnerability,
    }


def record_history(record: WelcomeGroup | Household, *, user: Any) -> list[dict[str, Any]]:
    """The record's changes, newest first, each in words. Sensitive answers and contact details
    show their values only to users who manage the programme (``accounts.scope``)."""
    questionnaire = (
        q.GROUP_QUESTIONNAIRE if isinstance(record, WelcomeGroup) else (q.HOUSEHOLD_QUESTIONNAIRE)
    )
    sensitive = scope.programme_scope(user).manages
    return [
        {
            "entry": entry,
            "lines": describe_all(questionnaire, entry.changes, sensitive=sensitive),
            "reason": entry.reason if sensitive else "",
        }
        for entry in record.changes.select_related("actor")
    ]


def participation(record: WelcomeGroup | Household) -> dict[str, Any]:
    """What the record's page needs to offer a withdrawal or its undoing."""
    return {
        "withdrawal": selectors.withdrawal_of(record),
        "open_match": record.matches.open().first(),
        "reason_form": ReasonForm(),
    }


# --- coordinator pages -------------------------------------------------------------------


#: Groups and households per page of the intake page's two lists.
INTAKE_PAGE_SIZE = 50


@role_required(MANAGERS)
def index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "intake/index.html",
        {
            "programme": scope.working_programme(request.user),
            "groups": Paginator(
                selectors.groups_for_intake(user=request.user), INTAKE_PAGE_SIZE
            ).get_page(request.GET.get("groups")),
            "households": Paginator(
                selectors.households_for_intake(user=request.user), INTAKE_PAGE_SIZE
            ).get_page(request.GET.get("households")),
            "postcodes_loaded": selectors.postcode_table_loaded(),
        },
    )


@role_required(MANAGERS)
def group_new(request: HttpRequest) -> HttpResponse:
    programme = _programme(request)
    form = _limit_cities(GroupInviteForm(request.POST or None, programme=programme), request)
    if request.method == "POST" and form.is_valid():
        try:
            group, invitation, token = group_invite(
                programme=programme,
                city=form.cleaned_data["city"],
                name=form.cleaned_data["name"],
                contact_email=form.cleaned_data["contact_email"],
                days=form.cleaned_data["days"],
                send=form.cleaned_data["delivery"] == DELIVERY_EMAIL,
                language=form.cleaned_data["language"],
                base_url=_base_url(request),
                actor=request.user,  # type: ignore[arg-type]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            request.session[SESSION_TOKEN.format(pk=invitation.pk)] = token
            if form.cleaned_data["delivery"] == DELIVERY_EMAIL:
                messages.success(request, _("The invitation link is being sent by e-mail."))
            return redirect("intake:group_detail", pk=group.pk)
    return render(request, "intake/group_new.html", {"form": form})


@role_required(MANAGERS)
def group_detail(request: HttpRequest, pk: int) -> HttpResponse:
    group = get_object_or_404(
        _mine(WelcomeGroup.objects.select_related("programme", "city"), request), pk=pk
    )
    invitations = []
    for invitation in group.invitations.all():
        token = request.session.pop(SESSION_TOKEN.format(pk=invitation.pk), None)
        invitations.append(
            {
                "invitation": invitation,
                "link": _invitation_link(request, token) if token else "",
            }
        )
    rule = CapacityRule.from_dict(group.programme.capacity_rule)
    audit_read(actor=request.user, obj=group, what="intake:group_detail", sensitive=True)  # type: ignore[arg-type]
    return render(
        request,
        "intake/group_detail.html",
        {
            "group": group,
            "invitations": invitations,
            "members": group.members.all(),
            "location_warning": selectors.location_warning(group),
            "participant_link": participant_link_panel(request, group),
            "capacity_table": rule.table,
            "willingness": q.FIXED_CHOICES["willingness"],
            "experience": q.FIXED_CHOICES["experience"],
            "override_form": OverrideForm(
                initial={"level": group.capacity_override, "reason": group.capacity_override_reason}
            ),
            "history": record_history(group, user=request.user),
            **participation(group),
            "send_form": InvitationSendForm(
                initial={"send_to": group.contact_email, "language": group_language(group)}
            ),
        },
    )


@require_POST
@role_required(MANAGERS)
def invitation_new(request: HttpRequest, pk: int) -> HttpResponse:
    group = get_object_or_404(_mine(WelcomeGroup.objects.all(), request), pk=pk)
    form = InvitationSendForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("intake:group_detail", pk=group.pk)
    send = form.cleaned_data["delivery"] == DELIVERY_EMAIL
    try:
        invitation, token = invitation_create(
            group=group,
            actor=request.user,  # type: ignore[arg-type]
            send_to=form.cleaned_data["send_to"] if send else None,
            language=form.cleaned_data["language"],
            base_url=_base_url(request),
        )
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
        return redirect("intake:group_detail", pk=group.pk)
    request.session[SESSION_TOKEN.format(pk=invitation.pk)] = token
    if send:
        messages.success(request, _("The invitation link is being sent by e-mail."))
    return redirect("intake:group_detail", pk=group.pk)


@require_POST
@role_required(MANAGERS)
def invitation_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = get_object_or_404(_mine(GroupInvitation.objects.all(), request, "group"), pk=pk)
    invitation_revoke(invitation=invitation, actor=request.user)  # type: ignore[arg-type]
    messages.success(request, _("The invitation link was withdrawn."))
    return redirect("intake:group_detail", pk=invitation.group_id)


@require_POST
@role_required(MANAGERS)
def group_override(request: HttpRequest, pk: int) -> HttpResponse:
    group = get_object_or_404(_mine(WelcomeGroup.objects.all(), request), pk=pk)
    form = OverrideForm(request.POST)
    if form.is_valid():
        try:
            group_override_capacity(
                group=group,
                level=form.cleaned_data["level"],
                reason=form.cleaned_data["reason"],
                actor=request.user,  # type: ignore[arg-type]
            )
            messages.success(request, _("The capacity level was saved."))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    return redirect("intake:group_detail", pk=group.pk)


@role_required(MANAGERS)
def household_new(request: HttpRequest) -> HttpResponse:
    programme = _programme(request)
    data = request.POST if request.method == "POST" else None
    city_form = _limit_cities(CityForm(data, programme=programme), request)
    form = QuestionForm(data, questions=HOUSEHOLD.main_questions(), country=programme.country)
    persons = repeat_formset(HOUSEHOLD, "persons", data=data, minimum_rows=4)
    if data is not None and city_form.is_valid() and form.is_valid() and persons.is_valid():
        answers = {**form.answers(), "persons": persons.rows()}
        try:
            household = household_save_answers(
                programme=programme,
                city=city_form.cleaned_data["city"],
                answers=answers,
                actor=request.user,  # type: ignore[arg-type]
            )
        except ValidationError as error:
            for field, msgs in error.message_dict.items():
                form.add_error(field if field in form.fields else None, msgs)
        else:
            messages.success(request, _("The household interview was saved."))
            warning = selectors.location_warning(household)
            if warning:
                messages.warning(request, warning)
            return redirect("intake:household_detail", pk=household.pk)
    return render(
        request,
        "intake/household_form.html",
        {
            "questionnaire": HOUSEHOLD,
            "city_form": city_form,
            "form": form,
            "sections": _form_sections(HOUSEHOLD, form),
            "persons": persons,
            "postcodes_loaded": selectors.postcode_table_loaded(programme.country),
        },
    )


def _form_sections(questionnaire: q.Questionnaire, form: QuestionForm) -> list[dict[str, Any]]:
    return [
        {
            "section": section,
            "fields": [form[question.name] for question in questionnaire.in_section(section.name)],
        }
        for section in questionnaire.sections
        if not section.repeat
    ]


@role_required(MANAGERS)
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    household = get_object_or_404(
        _mine(Household.objects.select_related("programme", "city"), request), pk=pk
    )
    audit_read(actor=request.user, obj=household, what="intake:household_detail", sensitive=True)  # type: ignore[arg-type]
    return render(
        request,
        "intake/household_detail.html",
        {
            "household": household,
            "persons": household.persons.all(),
            "participant_link": participant_link_panel(request, household),
            "breakdown": _vulnerability_breakdown(household),
            "location_warning": selectors.location_warning(household),
            "trial_control": control_assignment_of(household)
            if has_role(request.user, RESEARCH)
            else None,
            "override_form": OverrideForm(
                initial={
                    "level": household.vulnerability_override,
                    "reason": household.vulnerability_override_reason,
                }
            ),
            "history": record_history(household, user=request.user),
            **participation(household),
        },
    )


@require_POST
@role_required(MANAGERS)
def household_override(request: HttpRequest, pk: int) -> HttpResponse:
    household = get_object_or_404(_mine(Household.objects.all(), request), pk=pk)
    form = OverrideForm(request.POST)
    if form.is_valid():
        try:
            household_override_vulnerability(
                household=household,
                level=form.cleaned_data["level"],
                reason=form.cleaned_data["reason"],
                actor=request.user,  # type: ignore[arg-type]
            )
            messages.success(request, _("The vulnerability level was saved."))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    return redirect("intake:household_detail", pk=household.pk)


@role_required(MANAGERS)
def rules(request: HttpRequest) -> HttpResponse:
    programme = _programme(request)
    may_edit = has_role(request.user, ADMINISTRATORS)
    if request.method == "POST" and not may_edit:
        raise PermissionDenied
    form = RulesForm(
        request.POST or None,
        initial={
            "vulnerability_rule": json.dumps(programme.vulnerability_rule, indent=2),
            "capacity_rule": json.dumps(programme.capacity_rule, indent=2),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            changed = programme_rules_update(
                programme=programme,
                vulnerability_rule=form.cleaned_data["vulnerability_rule"],
                capacity_rule=form.cleaned_data["capacity_rule"],
                actor=request.user,  # type: ignore[arg-type]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("The rules were saved; %(n)d levels changed.") % {"n": changed}
            )
            return redirect("intake:rules")
    vulnerability = VulnerabilityRule.from_dict(programme.vulnerability_rule)
    labels = category_labels(CategoryKind.SUPPORT_NEED, CategoryKind.HOUSEHOLD_TYPE)
    return render(
        request,
        "intake/rules.html",
        {
            "programme": programme,
            "form": form,
            "may_edit": may_edit,
            "vulnerability": vulnerability,
            "score_points": [
                (q.choice_label("ssm_scale", str(score)), points)
                for score, points in sorted(vulnerability.score_points.items())
            ],
            "flag_points": [
                (labels(CategoryKind.SUPPORT_NEED, flag), points)
                for flag, points in vulnerability.flag_points.items()
            ],
            "type_points": [
                (labels(CategoryKind.HOUSEHOLD_TYPE, code), points)
                for code, points in vulnerability.type_points.items()
            ],
            "capacity": CapacityRule.from_dict(programme.capacity_rule),
            "willingness": q.FIXED_CHOICES["willingness"],
            "experience": q.FIXED_CHOICES["experience"],
        },
    )


#: Earlier imports per page of the upload page.
RUN_PAGE_SIZE = 10


def _runs_page(request: HttpRequest, programme: Any) -> Any:
    """One page of the earlier imports in the user's programme scope, newest first."""
    runs = _mine(selectors.import_runs(programme), request)
    return Paginator(runs, RUN_PAGE_SIZE).get_page(request.GET.get("page"))


@role_required(MANAGERS)
def import_upload(request: HttpRequest) -> HttpResponse:
    programme = _programme(request)
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if request.method == "POST" and length > MAX_TOTAL_BYTES + 1024 * 1024:
        # Refused before Django reads the upload.
        message = _("The upload is %(size)s MB; at most %(limit)s MB can be imported at once.") % {
            "size": length // 2**20,
            "limit": MAX_TOTAL_BYTES // 2**20,
        }
        response = render(
            request,
            "intake/import_upload.html",
            {
                "form": ImportUploadForm(programme=programme),
                "runs": _runs_page(request, programme),
                "upload_error": message,
            },
        )
        response.status_code = 413
        return response
    form = _limit_cities(
        ImportUploadForm(request.POST or None, request.FILES or None, programme=programme), request
    )
    if request.method == "POST" and form.is_valid():
        files = [(f.name, f.read()) for f in form.cleaned_data["exports"]]
        run = import_preview(
            programme=programme,
            city=form.cleaned_data["city"],
            kind=form.cleaned_data["kind"],
            files=files,
            actor=request.user,  # type: ignore[arg-type]
        )
        return redirect("intake:import_run", pk=run.pk)
    return render(
        request,
        "intake/import_upload.html",
        {"form": form, "runs": _runs_page(request, programme)},
    )


def _mapping_form(run: ImportRun, data: Any = None) -> ImportMappingForm:
    report = run.report or {}
    current: dict[str, str] = {}
    for columns in (report.get("columns") or {}).values():
        for column in columns:
            target = column["field"] + (f"/{column['choice']}" if column["choice"] else "")
            current.setdefault(column["header"], target)
    for headers in (report.get("ignored") or {}).values():
        for header in headers:
            current.setdefault(header, "")
    for header, target in (report.get("mapping") or {}).items():
        if header in current:
            current[header] = target
    return ImportMappingForm(
        data, headers=list(current.items()), targets=mapping_targets(run.kind), prefix="map"
    )


@role_required(MANAGERS)
def import_run(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(_mine(ImportRun.objects.all(), request), pk=pk)
    if request.method == "POST" and request.POST.get("action") == "remap":
        form = _mapping_form(run, request.POST)
        if form.is_valid():
            try:
                run = import_remap(run=run, mapping=form.mapping(), actor=request.user)  # type: ignore[arg-type]
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, _("The preview was made again with your mapping."))
            return redirect("intake:import_run", pk=run.pk)
    elif request.method == "POST":
        before = run.status
        run = import_commit(run=run, actor=request.user)  # type: ignore[arg-type]
        if run.status == ImportRun.Status.COMMITTED and before == ImportRun.Status.COMMITTED:
            messages.info(
                request, _("This import was already committed; nothing was written again.")
            )
        elif run.status == ImportRun.Status.COMMITTED:
            messages.success(request, _("The import was committed."))
        else:
            messages.error(request, _("Nothing was imported: the file has errors."))
        return redirect("intake:import_run", pk=run.pk)
    else:
        form = _mapping_form(run)
    return render(
        request,
        "intake/import_run.html",
        {"run": run, "report": run.report, "mapping_form": form},
    )


@role_required(MANAGERS)
def xlsform(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in q.QUESTIONNAIRES:
        raise Http404
    audit_event_record(
        actor=request.user,  # type: ignore[arg-type]
        action="file.downloaded",
        object_type="intake.xlsform",
        object_id=kind,
        programme_id=getattr(scope.working_programme(request.user), "pk", None),
    )
    response = HttpResponse(
        xlsform_bytes(q.QUESTIONNAIRES[kind]),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="welcomematch-{kind}.xlsx"'
    return response


# --- the group's own intake, through its invitation link (no login) ----------------------


def _refused(request: HttpRequest, refusal: selectors.InvitationRefused) -> HttpResponse:
    return render(
        request,
        "intake/welcome_refused.html",
        {"reason": refusal.reason, "message": refusal.message},
        status=refusal.status,
    )


def welcome(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = selectors.invitation_for_token(token)
    except selectors.InvitationRefused as refusal:
        return _refused(request, refusal)
    return render(
        request,
        "intake/welcome_start.html",
        {
            "invitation": invitation,
            "token": token,
            "questionnaire": GROUP,
            "first_step": invitation.last_step or STEPS[0],
            "resumed": bool(invitation.last_step),
        },
    )


def welcome_step(request: HttpRequest, token: str, step: str) -> HttpResponse:
    try:
        invitation = selectors.invitation_for_token(token)
    except selectors.InvitationRefused as refusal:
        return _refused(request, refusal)
    if step not in STEPS:
        raise Http404
    section = GROUP.section(step)
    country = invitation.group.programme.country
    data = request.POST if request.method == "POST" else None
    saved = invitation.answers
    form: QuestionForm | None = None
    formset = None
    if section.repeat:
        formset = repeat_formset(
            GROUP, step, data=data, initial=saved.get(step) or [], minimum_rows=5
        )
        valid = data is not None and formset.is_valid()
    else:
        questions = GROUP.in_section(step)
        initial = {question.name: saved.get(question.name) for question in questions}
        form = QuestionForm(data, questions=questions, country=country, initial=initial)
        valid = data is not None and form.is_valid()
    if valid:
        answers = {step: formset.rows()} if formset is not None else form.answers()  # type: ignore[union-attr]
        index = STEPS.index(step)
        target = "welcome_summary" if index + 1 == len(STEPS) else "welcome_step"
        next_step = STEPS[index + 1] if target == "welcome_step" else ""
        if "more" in request.POST:
            target, next_step = "welcome_step", step
        invitation_save_progress(
            invitation=invitation, step=next_step or "summary", answers=answers
        )
        if target == "welcome_summary":
            return redirect("intake:welcome_summary", token=token)
        return redirect("intake:welcome_step", token=token, step=next_step)
    index = STEPS.index(step)
    return render(
        request,
        "intake/welcome_step.html",
        {
            "token": token,
            "invitation": invitation,
            "questionnaire": GROUP,
            "section": section,
            "form": form,
            "formset": formset,
            "number": index + 1,
            "total": len(STEPS),
            "steps": GROUP.sections,
            "previous": STEPS[index - 1] if index else "",
            "postcodes_loaded": selectors.postcode_table_loaded(country),
            "geonames": form is not None and "postcode" in form.fields,
        },
    )


def welcome_summary(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = selectors.invitation_for_token(token)
    except selectors.InvitationRefused as refusal:
        return _refused(request, refusal)
    summary = _summary(GROUP, invitation.answers)
    complete = not any(s["missing"] for s in summary)
    errors: list[str] = []
    if request.method == "POST" and complete:
        try:
            invitation_submit(invitation=invitation)
        except ValidationError as error:
            errors = error.messages
        else:
            return redirect("intake:welcome_thanks")
    return render(
        request,
        "intake/welcome_summary.html",
        {
            "token": token,
            "invitation": invitation,
            "questionnaire": GROUP,
            "summary": summary,
            "complete": complete,
            "errors": errors,
            "total": len(STEPS),
        },
    )


def welcome_thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "intake/welcome_thanks.html")
