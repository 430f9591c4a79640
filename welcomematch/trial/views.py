"""The control arm overview and the trial page (register, balance, analysis, exports).

Researchers see pseudonymous ids only; coordinators and administrators also see references
and the list of control households to follow up. Exports are for researchers and
administrators and are recorded in the audit trail.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import date_format, number_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from welcomematch import charts
from welcomematch.accounts import scope
from welcomematch.accounts.models import Role, User
from welcomematch.accounts.permissions import MANAGERS, RESEARCH, has_role, role_required
from welcomematch.core.errors import InvalidInput
from welcomematch.core.trial import analyse
from welcomematch.intake.models import Household
from welcomematch.intake.questions import choice_label
from welcomematch.programmes.models import CategoryKind
from welcomematch.programmes.selectors import category_labels
from welcomematch.surveys.models import Moment
from welcomematch.trial import dataset, exports, selectors, services
from welcomematch.trial.forms import LotteryAuditForm, RegisterEntryForm, StudyForm
from welcomematch.trial.models import EntryKind, Study

#: Rows per page of each of the register's two tables.
REGISTER_PAGE_SIZE = 50

#: Who may download the register and the research export.
EXPORTERS = frozenset({Role.ADMINISTRATOR, Role.RESEARCHER})
#: Who may record a protocol deviation (the service checks it too).
ADMINISTRATORS = frozenset({Role.ADMINISTRATOR})


@require_GET
@role_required(RESEARCH)
def overview(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    rounds = selectors.trial_rounds(rounds=scope.scoped_rounds(user))
    totals = selectors.aggregates(rounds=rounds)
    type_labels = category_labels(CategoryKind.HOUSEHOLD_TYPE)
    return render(
        request,
        "trial/overview.html",
        {
            "arms": selectors.arms_per_round(rounds=rounds),
            "cities": totals["city"],
            "types": [
                (type_labels(CategoryKind.HOUSEHOLD_TYPE, t.key), t)
                for t in totals["household_type"]
            ],
            "levels": totals["vulnerability"],
            "show_names": has_role(user, MANAGERS),
        },
    )


def _covariate_labels() -> dict[str, str]:
    return {
        "origin": _("Country of origin"),
        "household_type": _("Household type"),
        "vulnerability_level": _("Support level"),
        "household_size": _("Household size"),
        "dutch_cefr_intake": _("Dutch level at intake (0 = none … 6 = C2)"),
        "employment_intake": _("Work at intake"),
        "age_main_adult": _("Age of the main adult"),
    }


#: Choice lists (intake/questions.py) that name the categories of a categorical covariate.
CATEGORY_LISTS = {
    "origin": "country",
    "household_type": "household_type",
    "employment_intake": "employment",
}


def _balance_view(table: list[dict[str, object]]) -> list[dict[str, object]]:
    """The balance rows with words for covariates and categories (the codes stay in exports)."""
    labels = _covariate_labels()
    rows = []
    for entry in table:
        covariate = str(entry["covariate"])
        category = entry.get("category")
        choice_list = CATEGORY_LISTS.get(covariate)
        rows.append(
            {
                **entry,
                "label": labels.get(covariate, covariate),
                "category_label": choice_label(choice_list, str(category))
                if choice_list and category is not None
                else category,
            }
        )
    return rows


def _study(request: HttpRequest) -> tuple[User, Study | None]:
    user = request.user
    assert isinstance(user, User)
    return user, selectors.study_for(programme=user.programme)


def _language() -> str:
    return "nl" if (get_language() or "nl").startswith("nl") else "en"


def _percent(value: object) -> str:
    return f"{number_format(float(value) * 100, 0)}%" if isinstance(value, int | float) else "–"


def _outcome_view(outcome: dict[str, Any], label: str, index: int) -> dict[str, Any]:
    estimates = []
    for key, name in (
        ("paired", _("Paired estimate")),
        ("difference_in_means", _("Difference in means")),
    ):
        part = outcome.get(key)
        if part and part.get("ci95"):
            low, high = part["ci95"]
            estimates.append(
                charts.Estimate(label=name, estimate=part["estimate"], low=low, high=high)
            )
    chart = (
        charts.interval_chart(
            title=_("%(outcome)s: effect of a match with its 95%% interval") % {"outcome": label},
            estimates=estimates,
            description=_("Treatment minus control; the dashed line is no effect."),
            x_label=_("treatment minus control"),
            chart_id=f"outcome-{index}",
        )
        if estimates
        else ""
    )
    # The core's summary names the outcome by its column; the page by its words.
    summary = str(outcome.get("summary", "")).replace(str(outcome["outcome"]), label)
    return {"label": label, "data": outcome, "chart": chart, "summary": summary}


def _attrition_chart(rates: dataset.ResponseRates) -> str:
    if not rates.days:
        return ""
    return charts.line_chart(
        title=_("Not (yet) answered, per arm"),
        x=[date_format(d, "MONTH_DAY_FORMAT") for d in rates.days],
        series=[
            charts.Series(label=_("Treatment"), values=list(rates.treatment_attrition)),
            charts.Series(label=_("Control"), values=list(rates.control_attrition)),
        ],
        description=_("Share of each arm's households without an answer to the survey, by day."),
        y_label=_("attrition"),
        percent=True,
        chart_id="attrition",
    )


@require_GET
@role_required(RESEARCH)
def study(request: HttpRequest) -> HttpResponse:
    return _study_page(request)


def _study_page(
    request: HttpRequest, *, bound: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    """The trial page; ``bound``: a form sent with errors, shown again with the error summary
    in place of its empty twin (answered with ``status``)."""
    user, study = _study(request)
    managers = has_role(user, MANAGERS)
    context: dict[str, Any] = {
        "study": study,
        "managers": managers,
        "may_export": has_role(user, EXPORTERS),
        "is_administrator": has_role(user, ADMINISTRATORS),
    }
    if study is None:
        if context["is_administrator"] and user.programme is not None:
            context["study_form"] = StudyForm(language=_language())
        context |= bound or {}
        return render(request, "trial/study.html", context, status=status)
    rows = dataset.study_rows(study=study)
    entries = selectors.register_entries(study=study)
    units = selectors.register_units(study=study)
    corrected = set(entries.filter(corrected_by__isnull=False).values_list("pk", flat=True))
    units_page = Paginator(units, REGISTER_PAGE_SIZE).get_page(request.GET.get("units"))
    entries_page = Paginator(entries, REGISTER_PAGE_SIZE).get_page(request.GET.get("entries"))
    context.update(
        {
            "units": units_page.object_list,
            "units_page": units_page,
            "entries": entries_page.object_list,
            "entries_page": entries_page,
            "corrected": corrected,
            "deviations": selectors.in_force(entries, EntryKind.DEVIATION).count(),
            "withdrawals": {
                arm: selectors.in_force(entries, EntryKind.WITHDRAWAL).filter(arm=arm).count()
                for arm in ("treatment", "control")
            },
            "outcomes": [],
        }
    )
    if rows:
        language = _language()
        labels = {o.code: o.label(language) for o in study.outcomes.all()}
        try:
            data = dataset.trial_data(study=study, rows=rows)
            context["balance"] = _balance_view(exports.balance_rows(data, study))
            result = analyse(data, list(labels), seed=study.analysis_seed, language=language)
        except InvalidInput as error:
            context["analysis_error"] = str(error)
        else:
            analysed = cast(list[dict[str, Any]], result["outcomes"])
            context["outcomes"] = [
                _outcome_view(o, labels[str(o["outcome"])], i) for i, o in enumerate(analysed)
            ]
    rates = dataset.response_rates(study=study, rows=rows)
    if rates is not None:
        context["rates"] = rates
        context["attrition_chart"] = _attrition_chart(rates)
        context["moment_label"] = Moment(rates.moment).label
        context["rates_text"] = {
            "treatment": _percent(rates.treatment),
            "control": _percent(rates.control),
        }
    if managers:
        controls = Household.objects.filter(pk__in=[u.unit.household_id for u in units])
        members = Household.objects.filter(pk__in=[r.household.pk for r in rows]).order_by(
            "reference"
        )
        context["withdrawal_form"] = RegisterEntryForm(households=members, prefix="withdrawal")
        if context["is_administrator"]:
            context["deviation_form"] = RegisterEntryForm(
                households=controls.order_by("reference"), prefix="deviation"
            )
    if context["may_export"]:
        context["audit_form"] = LotteryAuditForm(
            rounds=selectors.trial_rounds(
                rounds=scope.scoped_rounds(user).filter(programme=study.programme)
            )
        )
    context |= bound or {}
    return render(request, "trial/study.html", context, status=status)


def _record(request: HttpRequest, kind: str) -> HttpResponse:
    user, study = _study(request)
    if study is None:
        raise PermissionDenied
    rows = dataset.study_rows(study=study)
    if kind == EntryKind.DEVIATION:
        households = Household.objects.filter(
            pk__in=[r.household.pk for r in rows if r.arm == "control"]
        )
    else:
        households = Household.objects.filter(pk__in=[r.household.pk for r in rows])
    form = RegisterEntryForm(request.POST, households=households, prefix=str(kind))
    if not form.is_valid():
        return _study_page(request, bound={f"{kind}_form": form}, status=400)
    try:
        if kind == EntryKind.DEVIATION:
            services.deviation_record(
                household=form.cleaned_data["household"],
                reason=form.cleaned_data["reason"],
                actor=user,
            )
            messages.success(request, _("The protocol deviation is in the register."))
        else:
            services.withdrawal_record(
                household=form.cleaned_data["household"],
                reason=form.cleaned_data["reason"],
                actor=user,
            )
            messages.success(request, _("The withdrawal is in the register."))
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    return redirect("trial:study")


@require_POST
@role_required(ADMINISTRATORS)
def deviation(request: HttpRequest) -> HttpResponse:
    return _record(request, EntryKind.DEVIATION)


@require_POST
@role_required(MANAGERS)
def withdrawal(request: HttpRequest) -> HttpResponse:
    return _record(request, EntryKind.WITHDRAWAL)


@require_POST
@role_required(EXPORTERS)
def lottery_audit(request: HttpRequest) -> HttpResponse:
    user, study = _study(request)
    if study is None:
        raise PermissionDenied
    form = LotteryAuditForm(
        request.POST,
        rounds=selectors.trial_rounds(
            rounds=scope.scoped_rounds(user).filter(programme=study.programme)
        ),
    )
    if not form.is_valid():
        return _study_page(request, bound={"audit_form": form}, status=400)
    try:
        services.lottery_audit_record(
            round=form.cleaned_data["round"], draws=form.cleaned_data["draws"], actor=user
        )
        messages.success(request, _("The lottery audit is in the register."))
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    return redirect("trial:study")


def _zip_response(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_GET
@role_required(EXPORTERS)
def register_export(request: HttpRequest) -> HttpResponse:
    user, study = _study(request)
    if study is None:
        raise PermissionDenied
    content = services.register_export(study=study, actor=user)
    return _zip_response(content, f"trial-register-{study.programme.slug}.zip")


@require_GET
@role_required(EXPORTERS)
def research_export(request: HttpRequest) -> HttpResponse:
    user, study = _study(request)
    if study is None:
        raise PermissionDenied
    if not dataset.study_rows(study=study):
        messages.error(request, _("The study has no randomised pair yet: nothing to export."))
        return redirect("trial:study")
    content = services.research_export(study=study, actor=user)
    return _zip_response(content, f"trial-research-{study.programme.slug}.zip")


@require_POST
@role_required(ADMINISTRATORS)
def study_create(request: HttpRequest) -> HttpResponse:
    user, study = _study(request)
    if study is not None or user.programme is None:
        messages.error(request, str(services.ERR_STUDY_EXISTS))
        return redirect("trial:study")
    form = StudyForm(request.POST, language=_language())
    if not form.is_valid():
        return _study_page(request, bound={"study_form": form}, status=400)
    try:
        services.study_create(
            programme=user.programme,
            title=form.cleaned_data["title"],
            starts_on=form.cleaned_data["starts_on"],
            ends_on=form.cleaned_data["ends_on"],
            analysis_seed=form.cleaned_data["analysis_seed"],
            outcomes=[services.OUTCOME_PRESETS[code] for code in form.cleaned_data["outcomes"]],
            actor=user,
        )
        messages.success(request, _("The study is set up."))
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    return redirect("trial:study")
