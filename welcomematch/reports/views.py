"""The evaluation report page (filters, figures, charts) and its downloads. Read-only."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from welcomematch.accounts.permissions import RESEARCH, role_required
from welcomematch.intake.selectors import programme_for_user
from welcomematch.programmes.models import Programme
from welcomematch.reports import rendering
from welcomematch.reports.forms import ReportFilterForm
from welcomematch.reports.selectors import ReportFilter


def _programme(request: HttpRequest) -> Programme:
    programme = programme_for_user(request.user)
    if programme is None:
        raise Http404(_("No programme has been set up yet."))
    return programme


def _form(request: HttpRequest, programme: Programme) -> ReportFilterForm:
    data = request.GET.copy()
    data.setdefault("moment", "midterm")
    return ReportFilterForm(data, programme=programme)


def _filter(programme: Programme, form: ReportFilterForm) -> ReportFilter:
    data = form.cleaned_data
    return ReportFilter(
        programme=programme,
        moment=data["moment"],
        city=data.get("city"),
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
    )


@require_GET
@role_required(RESEARCH)
def report_page(request: HttpRequest) -> HttpResponse:
    programme = _programme(request)
    form = _form(request, programme)
    context: dict[str, object] = {"form": form, "bundle": None}
    if form.is_valid():
        bundle = rendering.build_report(_filter(programme, form))
        context.update(rendering.context(bundle))
        data = form.cleaned_data
        query = {
            "moment": data["moment"],
            "city": data["city"].pk if data.get("city") else "",
            "date_from": data["date_from"].isoformat() if data.get("date_from") else "",
            "date_to": data["date_to"].isoformat() if data.get("date_to") else "",
        }
        context["download_base"] = (
            reverse("reports:download") + "?" + urlencode({k: v for k, v in query.items() if v})
        )
    return render(request, "reports/page.html", context, status=200 if form.is_valid() else 400)


@require_GET
@role_required(RESEARCH)
def report_download(request: HttpRequest) -> HttpResponse:
    programme = _programme(request)
    form = _form(request, programme)
    fmt = request.GET.get("format", "html")
    if fmt not in rendering.FORMATS or not form.is_valid():
        return render(request, "reports/page.html", {"form": form, "bundle": None}, status=400)
    bundle = rendering.build_report(_filter(programme, form))
    response = HttpResponse(
        rendering.render(bundle, fmt), content_type=rendering.CONTENT_TYPES[fmt]
    )
    response["Content-Disposition"] = f'attachment; filename="{rendering.filename(bundle, fmt)}"'
    return response
