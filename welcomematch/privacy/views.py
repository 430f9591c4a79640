"""Privacy pages for managers: record consent, download a person's data, erase a participant."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from welcomematch.accounts import scope
from welcomematch.accounts.models import Role
from welcomematch.accounts.permissions import MANAGERS, role_required
from welcomematch.accounts.services import audit_read
from welcomematch.intake.models import Household, WelcomeGroup
from welcomematch.privacy import selectors, services
from welcomematch.privacy.forms import ConsentForm, EraseForm

ADMINISTRATORS = frozenset({Role.ADMINISTRATOR})
KINDS: dict[str, tuple[Any, Any, Any]] = {
    "household": (Household, scope.visible_households, scope.scoped_households),
    "group": (WelcomeGroup, scope.visible_groups, scope.scoped_groups),
}


def _subject(request: HttpRequest, kind: str, pk: int) -> Any:
    _model, visible, scoped = KINDS[kind]
    return scope.get_visible_or_deny(visible(request.user), scoped(request.user), pk)


def _back(kind: str, subject: Any) -> HttpResponse:
    return redirect(f"web:{kind}_detail", pk=subject.pk)


@require_POST
@role_required(MANAGERS)
def consent(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    subject = _subject(request, kind, pk)
    form = ConsentForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return _back(kind, subject)
    try:
        services.consent_record(subject=subject, actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The consent decision is recorded."))
    return _back(kind, subject)


@require_GET
@role_required(MANAGERS)
def export(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    subject = _subject(request, kind, pk)
    body = selectors.person_export(subject=subject)
    audit_read(actor=request.user, obj=subject, what="download:person_export", sensitive=True)  # type: ignore[arg-type]
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{subject.reference}-data.json"'
    return response


@role_required(ADMINISTRATORS)
def erase(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    subject = _subject(request, kind, pk)
    form = EraseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        erase_service = services.household_erase if kind == "household" else services.group_erase
        try:
            erase_service(**{kind: subject}, reason=form.cleaned_data["reason"], actor=request.user)  # type: ignore[arg-type]
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The identifying data are erased."))
            return _back(kind, subject)
    return render(
        request,
        "privacy/erase.html",
        {
            "subject": subject,
            "kind": kind,
            "form": form,
            "erasure": selectors.erasure_of(subject=subject),
        },
        status=400 if form.errors else 200,
    )
