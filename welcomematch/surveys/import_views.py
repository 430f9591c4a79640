"""Import survey responses from the web: upload, check (dry run), import (all or nothing)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from welcomematch.accounts.permissions import MANAGERS, role_required
from welcomematch.intake.forms import MultipleFileField
from welcomematch.intake.selectors import programme_for_user
from welcomematch.surveys.importing import run_import
from welcomematch.surveys.models import Moment, Side


class SurveyImportForm(forms.Form):
    moment = forms.ChoiceField(label=gettext_lazy("Moment"), choices=Moment.choices)
    side = forms.ChoiceField(label=gettext_lazy("Who answered"), choices=Side.choices)
    exports = MultipleFileField(
        label=gettext_lazy("Export files (CSV or XLSX)"),
        help_text=gettext_lazy(
            "A KoboToolbox, ODK or SurveyCTO export: one row per response, columns named by "
            "item code (group prefixes allowed), answers as option codes."
        ),
    )


@require_http_methods(["GET", "POST"])
@role_required(MANAGERS)
def survey_import(request: HttpRequest) -> HttpResponse:
    programme = programme_for_user(request.user)
    if programme is None:
        raise Http404(_("No programme has been set up yet."))
    form = SurveyImportForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form, "report": None, "programme": programme}
    status = 200
    if request.method == "POST":
        if form.is_valid():
            commit = "commit" in request.POST
            files = [(f.name or "export", f.read()) for f in form.cleaned_data["exports"]]
            report = run_import(
                programme=programme,
                moment=form.cleaned_data["moment"],
                side=form.cleaned_data["side"],
                files=files,
                actor=request.user,  # type: ignore[arg-type]
                dry_run=not commit,
            )
            context.update(report=report, committed=report["committed"], dry_run=not commit)
            if report["errors"]:
                status = 400
        else:
            status = 400
    return render(request, "surveys/import.html", context, status=status)
