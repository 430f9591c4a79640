"""Coordinator pages that change a record after its intake: edit the answers (any number of
members or persons), withdraw a participant or undo that, re-open a group's link; and the
record's history in words."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from welcomematch.accounts.permissions import MANAGERS, role_required
from welcomematch.intake import questions as q
from welcomematch.intake import selectors
from welcomematch.intake.forms import (
    CityForm,
    QuestionForm,
    ReasonForm,
    VersionForm,
    repeat_formset,
    with_added_row,
)
from welcomematch.intake.models import Household, WelcomeGroup
from welcomematch.intake.services import (
    group_reinstate,
    group_save_answers,
    group_withdraw,
    household_reinstate,
    household_save_answers,
    household_withdraw,
    invitation_reopen,
)
from welcomematch.intake.views import SESSION_TOKEN, _limit_cities, _mine

# --- editing the answers ------------------------------------------------------------------


def _error_summary(
    version: VersionForm, city: CityForm, form: QuestionForm, rows: Any, row_label: str
) -> list[dict[str, str]]:
    """Every error of the page, each with a link to its field (the summary at the top)."""
    summary: list[dict[str, str]] = []
    for error in [*version.non_field_errors(), *form.non_field_errors()]:
        summary.append({"text": str(error), "anchor": "edit-form"})
    for bound_form in (city, form):
        for name, errors in bound_form.errors.items():
            if name == "__all__":
                continue
            bound = bound_form[name]
            anchor = bound.id_for_label or bound.auto_id
            for error in errors:
                summary.append({"text": f"{bound.label}: {error}", "anchor": anchor})
    for error in rows.non_form_errors():
        summary.append({"text": str(error), "anchor": f"rows-{rows.prefix}"})
    for number, row in enumerate(rows.forms, start=1):
        for name, errors in row.errors.items():
            if name == "__all__":
                for error in errors:
                    summary.append(
                        {"text": f"{row_label} {number}: {error}", "anchor": f"row-{row.prefix}"}
                    )
                continue
            bound = row[name]
            anchor = bound.id_for_label or bound.auto_id
            for error in errors:
                summary.append(
                    {"text": f"{row_label} {number}, {bound.label}: {error}", "anchor": anchor}
                )
    return summary


def _place_service_errors(
    error: ValidationError, *, version: VersionForm, form: QuestionForm, rows: Any
) -> None:
    """A service's error on the field it names (``postcode``, ``persons.2.age``), else on top."""
    if not hasattr(error, "error_dict"):
        for text in error.messages:
            version.add_error(None, text)
        return
    for field, texts in error.message_dict.items():
        parts = field.split(".")
        if field in form.fields:
            form.add_error(field, texts)
        elif len(parts) == 3 and parts[0] == rows.prefix and parts[1].isdigit():
            index = int(parts[1])
            kept = [row for i, row in enumerate(rows.forms) if rows._kept(i, row)]
            if index < len(kept) and parts[2] in kept[index].fields:
                kept[index].add_error(parts[2], texts)
            else:
                version.add_error(None, texts)
        else:
            version.add_error(None, texts)


def _edit(
    request: HttpRequest,
    record: WelcomeGroup | Household,
    *,
    questionnaire: q.Questionnaire,
    rows_section: str,
    row_label: str,
    save: Any,
    detail: str,
) -> HttpResponse:
    saved_rows: Any = getattr(record, rows_section).order_by("id")
    saved = q.answers_from_record(questionnaire, record, {rows_section: list(saved_rows)})
    initial_rows = saved[rows_section]
    data: Any = request.POST if request.method == "POST" else None
    adding = data is not None and data.get("add_row") == rows_section
    if adding:
        data = with_added_row(data, rows_section)
    programme = record.programme
    version = VersionForm(data, initial={"version": record.updated_at.isoformat()})
    city = _limit_cities(
        CityForm(data, programme=programme, initial={"city": record.city_id}), request
    )
    form = QuestionForm(
        data,
        questions=questionnaire.main_questions(),
        country=programme.country,
        initial={name: value for name, value in saved.items() if name != rows_section},
    )
    rows = repeat_formset(
        questionnaire,
        rows_section,
        data=data,
        initial=initial_rows,
        extra_rows=0 if data is not None else 1,
        minimum_rows=0,
        can_delete=True,
    )
    summary: list[dict[str, str]] = []
    if data is not None and not adding:
        valid = all(part.is_valid() for part in (version, city, form, rows))
        if valid and not rows.rows():
            version.add_error(None, _("Keep at least one row: %(what)s.") % {"what": row_label})
            valid = False
        if valid:
            answers = {**form.answers(), rows_section: rows.rows()}
            try:
                save(
                    programme=programme,
                    city=city.cleaned_data["city"],
                    answers=answers,
                    actor=request.user,
                    expected_updated_at=version.when(),
                )
            except ValidationError as error:
                _place_service_errors(error, version=version, form=form, rows=rows)
            else:
                messages.success(
                    request, _("The changes to %(ref)s were saved.") % {"ref": record.reference}
                )
                return redirect(detail, pk=record.pk)
        summary = _error_summary(version, city, form, rows, row_label)
    sections = []
    for section in questionnaire.sections:
        if section.repeat:
            sections.append({"section": section, "repeat": True})
        else:
            sections.append(
                {
                    "section": section,
                    "fields": [
                        form[question.name] for question in questionnaire.in_section(section.name)
                    ],
                }
            )
    response = render(
        request,
        "intake/record_edit.html",
        {
            "record": record,
            "questionnaire": questionnaire,
            "version_form": version,
            "city_form": city,
            "form": form,
            "sections": sections,
            "rows": rows,
            "rows_section": rows_section,
            "row_label": row_label,
            "summary": summary,
            "detail_url": reverse(detail, args=[record.pk]),
            "postcodes_loaded": selectors.postcode_table_loaded(programme.country),
            "geonames": True,
        },
    )
    if summary:
        response.status_code = 400
    return response


@role_required(MANAGERS)
def group_edit(request: HttpRequest, pk: int) -> HttpResponse:
    group = get_object_or_404(
        _mine(WelcomeGroup.objects.select_related("programme", "city"), request), pk=pk
    )

    def save(**kwargs: Any) -> WelcomeGroup:
        return group_save_answers(group=group, **kwargs)

    return _edit(
        request,
        group,
        questionnaire=q.GROUP_QUESTIONNAIRE,
        rows_section="members",
        row_label=_("Member"),
        save=save,
        detail="intake:group_detail",
    )


@role_required(MANAGERS)
def household_edit(request: HttpRequest, pk: int) -> HttpResponse:
    household = get_object_or_404(
        _mine(Household.objects.select_related("programme", "city"), request), pk=pk
    )

    def save(**kwargs: Any) -> Household:
        return household_save_answers(household=household, **kwargs)

    return _edit(
        request,
        household,
        questionnaire=q.HOUSEHOLD_QUESTIONNAIRE,
        rows_section="persons",
        row_label=_("Person"),
        save=save,
        detail="intake:household_detail",
    )


# --- withdrawing, undoing it, re-opening a link --------------------------------------------


def _with_reason(
    request: HttpRequest, record: WelcomeGroup | Household, action: Any, done: str, detail: str
) -> HttpResponse:
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write a reason."))
        return redirect(detail, pk=record.pk)
    try:
        action(reason=form.cleaned_data["reason"], actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done % {"ref": record.reference})
    return redirect(detail, pk=record.pk)


@require_POST
@role_required(MANAGERS)
def group_withdraw_view(request: HttpRequest, pk: int) -> HttpResponse:
    group = get_object_or_404(_mine(WelcomeGroup.objects.all(), request), pk=pk)
    return _with_reason(
        request,
        group,
        lambda **kw: group_withdraw(group=group, **kw),
        _("%(ref)s was withdrawn; it is in no matching pool any more."),
        "intake:group_detail",
    )


@require_POST
@role_required(MANAGERS)
def group_reinstate_view(request: HttpRequest, pk: int) -> HttpResponse:
    group = get_object_or_404(_mine(WelcomeGroup.objects.all(), request), pk=pk)
    return _with_reason(
        request,
        group,
        lambda **kw: group_reinstate(group=group, **kw),
        _("The withdrawal of %(ref)s was undone."),
        "intake:group_detail",
    )


@require_POST
@role_required(MANAGERS)
def household_withdraw_view(request: HttpRequest, pk: int) -> HttpResponse:
    household = get_object_or_404(_mine(Household.objects.all(), request), pk=pk)
    return _with_reason(
        request,
        household,
        lambda **kw: household_withdraw(household=household, **kw),
        _("%(ref)s was withdrawn; it is in no matching pool any more."),
        "intake:household_detail",
    )


@require_POST
@role_required(MANAGERS)
def household_reinstate_view(request: HttpRequest, pk: int) -> HttpResponse:
    household = get_object_or_404(_mine(Household.objects.all(), request), pk=pk)
    return _with_reason(
        request,
        household,
        lambda **kw: household_reinstate(household=household, **kw),
        _("The withdrawal of %(ref)s was undone."),
        "intake:household_detail",
    )


@require_POST
@role_required(MANAGERS)
def group_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    group = get_object_or_404(_mine(WelcomeGroup.objects.all(), request), pk=pk)
    try:
        invitation, token = invitation_reopen(group=group, actor=request.user)  # type: ignore[arg-type]
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        request.session[SESSION_TOKEN.format(pk=invitation.pk)] = token
        messages.success(
            request,
            _(
                "A link for corrections was made; send it to the group. It opens on their saved answers."
            ),
        )
    return redirect("intake:group_detail", pk=group.pk)
