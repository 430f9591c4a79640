"""Pages for matching rounds (managers only): list, create, run, look at, confirm, cancel.

Views parse input, check the role, and call one service; everything they show is read from the
round's stored files and rows, so the page is what was run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_POST

from welcomematch.accounts import scope
from welcomematch.accounts.permissions import MANAGERS, role_required
from welcomematch.accounts.services import audit_read
from welcomematch.charts import StackedBar, stacked_bar_chart
from welcomematch.core.explain import PairExplanation, PairVerdict
from welcomematch.core.model import Mechanism as CoreMechanism
from welcomematch.core.model import Round
from welcomematch.intake.models import Household, WelcomeGroup
from welcomematch.lifecycle.views import audit_rows
from welcomematch.matching import jobs, selectors, services
from welcomematch.matching.forms import (
    AdjustmentForm,
    CancelForm,
    LotteryAuditForm,
    RoundCreateForm,
    VariantForm,
    WhyNotForm,
)
from welcomematch.matching.models import (
    JobKind,
    JobStage,
    MatchingRound,
    ProposalRole,
    RoundJob,
    RoundLotteryAudit,
    RoundStatus,
    RoundVariant,
    UnmatchedEntry,
)
from welcomematch.notifications.selectors import round_proposal_reach
from welcomematch.programmes.models import CategoryKind, City, Programme
from welcomematch.programmes.selectors import category_labels
from welcomematch.web.presenters import choice_words

#: Plain-language explanations of the unmatched reason codes (docs/round-format.md).
GROUP_REASONS = {
    "no_partner_in_range": gettext_lazy(
        "No household ready to match lives within the maximum distance of this group."
    ),
    "vulnerability": gettext_lazy(
        "Households live close enough, but each of them needs more support than this group "
        "said it can give."
    ),
    "excluded": gettext_lazy(
        "The only suitable households are excluded for this group (for example because an "
        "earlier match between them ended)."
    ),
    "partners_taken": gettext_lazy(
        "There were suitable households, but they were all matched with other groups so that "
        "as many pairs as possible could be made."
    ),
}
HOUSEHOLD_REASONS = {
    "no_partner_in_range": gettext_lazy(
        "No group ready to match lives within the maximum distance of this household."
    ),
    "vulnerability": gettext_lazy(
        "Groups live close enough, but none of them said it can give the support this "
        "household needs."
    ),
    "excluded": gettext_lazy(
        "The only suitable groups are excluded for this household (for example because an "
        "earlier match between them ended)."
    ),
    "partners_taken": gettext_lazy(
        "There were suitable groups, but each of them was given another household so that as "
        "many pairs as possible could be made."
    ),
}
ROUND_STATUS_LABELS = {
    RoundStatus.DRAFT: pgettext_lazy("round status", "Draft"),
    RoundStatus.PROPOSED: pgettext_lazy("round status", "Proposed"),
    RoundStatus.CONFIRMED: pgettext_lazy("round status", "Confirmed"),
    RoundStatus.CANCELLED: pgettext_lazy("round status", "Cancelled"),
}


def km(value: float) -> str:
    return _("%(distance)s km") % {"distance": number_format(value, 1)}


def programme_of(request: HttpRequest) -> Programme:
    """The programme the logged-in manager works in (:func:`scope.working_programme`)."""
    programme = scope.working_programme(request.user)
    if programme is None:
        raise Http404(_("No programme has been set up yet."))
    return programme


#: Rounds per page of the round list.
ROUND_PAGE_SIZE = 25


def _rounds(request: HttpRequest) -> QuerySet[MatchingRound]:
    return selectors.rounds_for(rounds=scope.visible_rounds(request.user))


def _get_round(request: HttpRequest, pk: int) -> MatchingRound:
    return get_object_or_404(_rounds(request), pk=pk)


def _messages_from(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@dataclass(frozen=True)
class PairRow:
    group: WelcomeGroup
    household: Household
    distance: str
    group_choice: str
    household_choice: str
    control: Household | None = None
    control_distance: str = ""
    control_group_choice: str = ""
    control_household_choice: str = ""


def _pair_rows(round: MatchingRound, core: Round) -> list[PairRow]:
    ranking_length = {g.id: len(g.ranking) for g in core.groups}
    ranking_length |= {h.id: len(h.ranking) for h in core.households}
    proposals = list(round.proposals.select_related("group", "household"))
    controls = {p.group_id: p for p in proposals if p.role == ProposalRole.CONTROL}
    rows = []
    for p in proposals:
        if p.role != ProposalRole.MATCH:
            continue
        c = controls.get(p.group_id)
        rows.append(
            PairRow(
                group=p.group,
                household=p.household,
                distance=km(p.distance_km),
                group_choice=choice_words(p.group_rank, ranking_length[p.group.reference]),
                household_choice=choice_words(
                    p.household_rank, ranking_length[p.household.reference]
                ),
                control=c.household if c else None,
                control_distance=km(c.distance_km) if c else "",
                control_group_choice=choice_words(c.group_rank, ranking_length[c.group.reference])
                if c
                else "",
                control_household_choice=choice_words(
                    c.household_rank, ranking_length[c.household.reference]
                )
                if c
                else "",
            )
        )
    return rows


def _unmatched_rows(round: MatchingRound) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    groups, households = [], []
    for entry in round.unmatched.select_related("group", "household"):
        if entry.side == UnmatchedEntry.Side.GROUP:
            groups.append(
                {
                    "who": entry.group,
                    "reason": entry.reason,
                    "explanation": GROUP_REASONS.get(entry.reason, entry.reason),
                    "eligible": entry.eligible_partners,
                }
            )
        else:
            households.append(
                {
                    "who": entry.household,
                    "reason": entry.reason,
                    "explanation": HOUSEHOLD_REASONS.get(entry.reason, entry.reason),
                    "eligible": entry.eligible_partners,
                }
            )
    return groups, households


def exclusion_sentence(cause: selectors.ExclusionCause | None, names: dict[str, str]) -> str:
    """Why an excluded pair is excluded, in words: the coordinator's adjustment for this round
    with its reason, or a standing exclusion with its reason."""
    if cause is None:
        return _(
            "This pair is excluded (for example because an earlier match between them "
            "ended), so they cannot be paired."
        )
    if cause.kind == "forbidden":
        return _(
            "The coordinator forbade this pair for this round, so they cannot be paired. "
            "Reason: %(reason)s"
        ) % {"reason": cause.reason}
    if cause.kind == "kept":
        return _(
            "The coordinator kept one of them with %(other)s for this round, so they cannot "
            "be paired. Reason: %(reason)s"
        ) % {"other": names.get(cause.other, cause.other), "reason": cause.reason}
    return _("This pair is excluded, so they cannot be paired. Reason: %(reason)s") % {
        "reason": cause.reason
    }


def explanation_sentences(
    explanation: PairExplanation,
    names: dict[str, str],
    cause: selectors.ExclusionCause | None = None,
) -> list[str]:
    """The core's answer for one pair, as sentences a coordinator can pass on; ``cause`` says
    why an excluded pair is excluded."""
    e = explanation
    g = names.get(e.group, e.group)
    h = names.get(e.household, e.household)
    g_choice = choice_words(e.group_rank, e.group_ranking_length)
    h_choice = choice_words(e.household_rank, e.household_ranking_length)
    about_pair = _(
        "They live %(distance)s apart. For the group this kind of household is: "
        "%(group_choice)s; for the household this kind of group is: %(household_choice)s."
    ) % {"distance": km(e.distance_km), "group_choice": g_choice, "household_choice": h_choice}
    if e.verdict == PairVerdict.MATCHED:
        return [
            _("%(group)s and %(household)s are matched.") % {"group": g, "household": h},
            about_pair,
        ]
    if e.verdict == PairVerdict.CONTROL:
        partner = e.group_match.household if e.group_match else ""
        return [
            _(
                "%(household)s is the control household of %(group)s. Both %(household)s and "
                "%(partner)s suited the group; the lottery's fair coin made %(partner)s the "
                "match. A control household stays in the control group for the evaluation."
            )
            % {"group": g, "household": h, "partner": names.get(partner, partner)},
            about_pair,
        ]
    if e.verdict == PairVerdict.OUT_OF_RANGE:
        return [
            _(
                "%(group)s and %(household)s live %(distance)s apart: %(over)s more than the "
                "maximum of %(limit)s in this round, so they cannot be paired."
            )
            % {
                "group": g,
                "household": h,
                "distance": km(e.distance_km),
                "over": km(e.over_limit_km),
                "limit": km(e.max_distance_km),
            }
        ]
    if e.verdict == PairVerdict.VULNERABILITY:
        return [
            _(
                "%(household)s needs more support (level %(vulnerability)d) than %(group)s said "
                "it can give (level %(capacity)d), so they cannot be paired."
            )
            % {"group": g, "household": h, "vulnerability": e.vulnerability, "capacity": e.capacity}
        ]
    if e.verdict == PairVerdict.EXCLUDED:
        return [exclusion_sentence(cause, names)]
    # Not chosen: eligible, but each was given to others.
    sentences = [
        _("%(group)s and %(household)s could have been paired.") % {"group": g, "household": h},
        about_pair,
    ]
    if e.group_match is None:
        sentences.append(_("The group was not matched.") % {})
    else:
        other = e.group_match.household
        sentences.append(
            _("The group was matched with %(other)s (%(distance)s, the group's %(choice)s).")
            % {
                "other": names.get(other, other),
                "distance": km(e.group_match.distance_km),
                "choice": choice_words(e.group_match.group_rank, e.group_ranking_length),
            }
        )
    if e.household_pair is None:
        sentences.append(_("The household was not given to any group.") % {})
    else:
        other = e.household_pair.group
        text = (
            _("The household became the control household of %(other)s (%(distance)s).")
            if e.household_role == "control"
            else _("The household was matched with %(other)s (%(distance)s).")
        )
        sentences.append(
            text % {"other": names.get(other, other), "distance": km(e.household_pair.distance_km)}
        )
    sentences.append(
        _(
            "The chosen pairs serve the whole round better: first as many pairs as possible, "
            "then preferences that fit better, then shorter distances; exact ties are drawn "
            "by lottery."
        )
        if e.mechanism == CoreMechanism.OPTIMAL
        else _(
            "In the stable mechanism groups propose in order of preference; the group and the "
            "household got partners they rank at least as high."
        )
    )
    return sentences


def _why_not(
    request: HttpRequest, round: MatchingRound, core: Round
) -> tuple[WhyNotForm, list[str]]:
    groups = dict(
        WelcomeGroup.objects.filter(reference__in=[g.id for g in core.groups]).values_list(
            "reference", "name"
        )
    )
    households = dict(
        Household.objects.filter(reference__in=[h.id for h in core.households]).values_list(
            "reference", "contact_name"
        )
    )
    form = WhyNotForm(
        request.GET if "group" in request.GET else None,
        groups=[(g.id, f"{g.id} {groups.get(g.id, '')}".strip()) for g in core.groups],
        households=[(h.id, f"{h.id} {households.get(h.id, '')}".strip()) for h in core.households],
    )
    sentences: list[str] = []
    if form.is_bound and form.is_valid():
        try:
            explanation = selectors.round_explain_pair(
                round=round,
                group_reference=form.cleaned_data["group"],
                household_reference=form.cleaned_data["household"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            names = {ref: f"{ref} ({name})" for ref, name in groups.items()}
            names |= {ref: f"{ref} ({name})" for ref, name in households.items()}
            cause = (
                selectors.pair_exclusion_cause(
                    round=round,
                    group_reference=form.cleaned_data["group"],
                    household_reference=form.cleaned_data["household"],
                )
                if explanation.verdict == PairVerdict.EXCLUDED
                else None
            )
            sentences = explanation_sentences(explanation, names, cause)
    return form, sentences


@require_GET
@role_required(MANAGERS)
def round_list(request: HttpRequest) -> HttpResponse:
    rounds = _rounds(request).annotate(
        n_matches=Count("proposals", filter=Q(proposals__role=ProposalRole.MATCH)),
        n_controls=Count("proposals", filter=Q(proposals__role=ProposalRole.CONTROL)),
    )
    page = Paginator(rounds, ROUND_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    for row in rows:
        row.status_label = ROUND_STATUS_LABELS[RoundStatus(row.status)]
    return render(request, "matching/round_list.html", {"rounds": rows, "page": page})


def _limit_to_scope(form: RoundCreateForm, request: HttpRequest) -> None:
    """Cities and participants of the user's scope only; a city-bound coordinator must pick one."""
    sc = scope.programme_scope(request.user)
    for name, city in (("city", "pk"), ("groups", "city"), ("households", "city")):
        field = form.fields[name]
        field.queryset = sc.filter(field.queryset, city=city)  # type: ignore[attr-defined]
    if sc.city_ids is not None:
        form.fields["city"].required = True


def _readiness(programme: Programme, cities: QuerySet[City]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        {
            "city": city,
            "groups": selectors.groups_ready(programme=programme, city=city).count(),
            "households": selectors.households_ready(programme=programme, city=city).count(),
        }
        for city in cities
    ]
    rows.append(
        {
            "city": None,
            "groups": sum(r["groups"] for r in rows),
            "households": sum(r["households"] for r in rows),
        }
    )
    for row in rows:
        row["problems"] = selectors.pool_problems(
            programme=programme, groups=row["groups"], households=row["households"]
        )
    return rows


@role_required(MANAGERS)
def round_create(request: HttpRequest) -> HttpResponse:
    programme = programme_of(request)
    form = RoundCreateForm(request.POST or None, programme=programme)
    _limit_to_scope(form, request)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            new_round = services.round_create(
                programme=programme,
                name=data["name"],
                actor=request.user,  # type: ignore[arg-type]
                city=data["city"],
                max_distance_km=data["max_distance_km"],
                mechanism=data["mechanism"],
                control_arm=data["control_arm"],
                seed=data["seed"],
                groups=list(data["groups"]),
                households=list(data["households"]),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("Round created. Check who will go in, then run it."),
            )
            return redirect("matching:round_detail", pk=new_round.pk)
    return render(
        request,
        "matching/round_form.html",
        {
            "form": form,
            "readiness": _readiness(
                programme, scope.programme_scope(request.user).cities.filter(programme=programme)
            ),
            "programme": programme,
            "pool_rule": selectors.pool_rule_words(programme=programme),
        },
    )


@require_GET
@role_required(MANAGERS)
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    round = _get_round(request, pk)
    context: dict[str, Any] = {
        "round": round,
        "status_label": ROUND_STATUS_LABELS[RoundStatus(round.status)],
        "audit": audit_rows(round),
        "can_run": RoundStatus.PROPOSED in services.ROUND_TRANSITIONS[round.status],
        "can_confirm": RoundStatus.CONFIRMED in services.ROUND_TRANSITIONS[round.status],
        "can_cancel": RoundStatus.CANCELLED in services.ROUND_TRANSITIONS[round.status],
        "cancel_form": CancelForm(),
        **_job_context(round.jobs.first()),
    }
    if context["job"] is not None and context["job"].active:
        context["can_run"] = context["can_confirm"] = context["can_cancel"] = False
    context["can_audit"] = bool(
        round.status in (RoundStatus.PROPOSED, RoundStatus.CONFIRMED)
        and round.round_file is not None
        and not (context["job"] is not None and context["job"].active)
    )
    if context["can_audit"]:
        context["audit_form"] = LotteryAuditForm(prefix="audit")
    context["fairness"] = _fairness(round, round.fairness_audits.first())
    if context["can_confirm"]:
        context["changes"] = selectors.round_changes(round=round)
        context["variant_form"] = VariantForm(
            initial={
                "max_distance_km": round.max_distance_km,
                "mechanism": round.mechanism,
                "control_arm": round.control_arm,
            }
        )
        context["outcomes"] = selectors.round_outcomes(round=round)
        context["adjust_form"] = _adjustment_form(round, None)
        context["adjustments"] = round.adjustments.select_related("group", "household")
    if round.status == RoundStatus.DRAFT:
        # What the run will take: everyone ready now, or only the selected ones among them.
        groups, households = selectors.round_pool(round=round)
        context["ready_groups"] = groups.select_related("city")
        context["ready_households"] = households.select_related("city")
    if round.round_file is not None and round.result_file is not None:
        core = selectors.round_core_input(round=round)
        context["summary"] = round.result_file["summary"]
        context["pairs"] = _pair_rows(round, core)
        context["unmatched_groups"], context["unmatched_households"] = _unmatched_rows(round)
        context["why_form"], context["why_sentences"] = _why_not(request, round, core)
    return render(request, "matching/round_detail.html", context)


def _start(
    request: HttpRequest, round: MatchingRound, kind: JobKind, draws: int | None = None
) -> HttpResponse:
    try:
        job = jobs.round_job_start(round=round, kind=kind, actor=request.user, draws=draws)  # type: ignore[arg-type]
    except ValidationError as error:
        _messages_from(request, error)
    else:
        # A worker usually takes the job later; where tasks run at once, say how it went.
        if job.stage == JobStage.FAILED:
            messages.error(request, job.error)
        elif job.stage == JobStage.DONE:
            messages.success(request, DONE_MESSAGES[kind])
        else:
            messages.info(request, STARTED_MESSAGES[kind])
    return redirect("matching:round_detail", pk=round.pk)


DONE_MESSAGES = {
    JobKind.RUN: gettext_lazy("The round ran. Check the proposed pairs below."),
    JobKind.CONFIRM: gettext_lazy(
        "The round is confirmed: the matches and control assignments exist."
    ),
    JobKind.AUDIT: gettext_lazy("The lottery audit is done: see the chances below."),
}
STARTED_MESSAGES = {
    JobKind.RUN: gettext_lazy("The round is being run. This page follows its progress."),
    JobKind.CONFIRM: gettext_lazy("The round is being confirmed. This page follows its progress."),
    JobKind.AUDIT: gettext_lazy("The lottery audit is under way. This page follows its progress."),
}


@require_POST
@role_required(MANAGERS)
def round_run(request: HttpRequest, pk: int) -> HttpResponse:
    return _start(request, _get_round(request, pk), JobKind.RUN)


def _job_context(job: RoundJob | None) -> dict[str, Any]:
    """What the page and the progress poll show of the round's latest job."""
    if job is None:
        return {"job": None}
    steps = JOB_STEPS[JobKind(job.kind)]
    reached = {stage for stage, _when in job.stages}
    return {
        "job": job,
        "job_steps": [
            {
                "stage": step,
                "label": str(JobStage(step).label),
                "state": (
                    "current"
                    if step == job.stage
                    else "done"
                    if step in reached or job.stage == JobStage.DONE
                    else "todo"
                ),
            }
            for step in steps
        ],
    }


#: The stages a run and a confirmation go through, in order, as the page lists them.
RUN_STEPS = (JobStage.QUEUED, JobStage.BUILDING, JobStage.SOLVING, JobStage.STORING)
CONFIRM_STEPS = (JobStage.QUEUED, JobStage.CONFIRMING)
AUDIT_STEPS = (JobStage.QUEUED, JobStage.AUDITING)
JOB_STEPS = {JobKind.RUN: RUN_STEPS, JobKind.CONFIRM: CONFIRM_STEPS, JobKind.AUDIT: AUDIT_STEPS}


@require_GET
@role_required(MANAGERS)
def round_job_status(request: HttpRequest, pk: int) -> JsonResponse:
    """The latest job of a round as JSON, for the page's progress display to poll."""
    round = _get_round(request, pk)
    job = round.jobs.first()
    if job is None:
        return JsonResponse({"job": None})
    return JsonResponse(
        {
            "job": job.pk,
            "kind": job.kind,
            "stage": job.stage,
            "stage_label": str(job.get_stage_display()),
            "active": job.active,
            "error": job.error,
            "steps": _job_context(job)["job_steps"],
        }
    )


@role_required(MANAGERS)
def round_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    round = _get_round(request, pk)
    if request.method == "POST":
        return _start(request, round, JobKind.CONFIRM)
    if RoundStatus.CONFIRMED not in services.ROUND_TRANSITIONS[round.status]:
        messages.error(request, _("Only a proposed round can be confirmed."))
        return redirect("matching:round_detail", pk=round.pk)
    return render(
        request,
        "matching/round_confirm.html",
        {
            "round": round,
            "matches": round.proposals.filter(role=ProposalRole.MATCH).count(),
            "controls": round.proposals.filter(role=ProposalRole.CONTROL).count(),
            "changes": selectors.round_changes(round=round),
            "reach": round_proposal_reach(round=round),
        },
    )


@require_POST
@role_required(MANAGERS)
def round_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    round = _get_round(request, pk)
    form = CancelForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.round_cancel(round=round, actor=request.user, reason=reason)  # type: ignore[arg-type]
    except ValidationError as error:
        _messages_from(request, error)
    else:
        messages.success(request, _("The round is cancelled. Nobody was matched by it."))
    return redirect("matching:round_detail", pk=round.pk)


@require_GET
@role_required(MANAGERS)
def round_download(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    round = _get_round(request, pk)
    if round.round_file is None or round.result_file is None:
        raise Http404(_("This round has not run yet."))
    if kind == "input":
        body = selectors.export_round_file(round=round)
    else:
        body = selectors.export_result_file(round=round)
    audit_read(actor=request.user, obj=round, what=f"download:{kind}", sensitive=False)  # type: ignore[arg-type]
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="round-{round.pk}-{kind}.json"'
    return response


@require_POST
@role_required(MANAGERS)
def round_variant_create(request: HttpRequest, pk: int) -> HttpResponse:
    round = _get_round(request, pk)
    form = VariantForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("matching:round_detail", pk=round.pk)
    try:
        services.round_variant_create(
            round=round,
            actor=request.user,  # type: ignore[arg-type]
            max_distance_km=form.cleaned_data["max_distance_km"],
            mechanism=form.cleaned_data["mechanism"],
            control_arm=form.cleaned_data["control_arm"],
        )
    except ValidationError as error:
        _messages_from(request, error)
    else:
        messages.success(request, _("The variant ran; compare it below. The round did not change."))
    return redirect(reverse("matching:round_detail", args=[round.pk]) + "#variants")


@require_POST
@role_required(MANAGERS)
def round_variant_adopt(request: HttpRequest, pk: int, variant: int) -> HttpResponse:
    round = _get_round(request, pk)
    chosen = get_object_or_404(RoundVariant, round=round, pk=variant)
    try:
        job = jobs.round_variant_adopt(variant=chosen, actor=request.user)  # type: ignore[arg-type]
    except ValidationError as error:
        _messages_from(request, error)
    else:
        if job.stage == JobStage.FAILED:
            messages.error(request, job.error)
        else:
            messages.success(
                request,
                _("The round takes the variant's settings and runs again with them."),
            )
    return redirect("matching:round_detail", pk=round.pk)


def _adjustment_form(round: MatchingRound, data: Any) -> AdjustmentForm:
    """Choices: the participants the round takes now (its pool, before adjustments)."""
    groups, households = selectors.round_pool(round=round)
    return AdjustmentForm(
        data,
        prefix="adjust",
        groups=[(g.reference, f"{g.reference} {g.name}") for g in groups],
        households=[(h.reference, f"{h.reference} {h.contact_name}") for h in households],
    )


@require_POST
@role_required(MANAGERS)
def round_adjust(request: HttpRequest, pk: int) -> HttpResponse:
    round = _get_round(request, pk)
    form = _adjustment_form(round, request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(reverse("matching:round_detail", args=[round.pk]) + "#adjustments")
    data = form.cleaned_data
    try:
        services.round_adjust(
            round=round,
            kind=data["kind"],
            reason=data["reason"],
            actor=request.user,  # type: ignore[arg-type]
            group=WelcomeGroup.objects.filter(reference=data["group"]).first()
            if data["group"]
            else None,
            household=Household.objects.filter(reference=data["household"]).first()
            if data["household"]
            else None,
        )
    except ValidationError as error:
        _messages_from(request, error)
    else:
        messages.success(
            request, _("Adjustment recorded. Run the round again to re-solve with it.")
        )
    return redirect(reverse("matching:round_detail", args=[round.pk]) + "#adjustments")


@require_POST
@role_required(MANAGERS)
def round_lottery_audit(request: HttpRequest, pk: int) -> HttpResponse:
    """Start the lottery audit of a round (a background job)."""
    round = _get_round(request, pk)
    form = LotteryAuditForm(request.POST, prefix="audit")
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, f"{form.fields['draws'].label}: {error}")
        return redirect(reverse("matching:round_detail", args=[round.pk]) + "#fairness")
    return _start(request, round, JobKind.AUDIT, draws=form.cleaned_data["draws"])


#: How a side's chances are summarised, as the page names each dimension.
FAIRNESS_TITLES = {
    ("household", "type"): gettext_lazy("Households by household type"),
    ("household", "level"): gettext_lazy("Households by vulnerability level"),
    ("household", "city"): gettext_lazy("Households by city"),
    ("group", "type"): gettext_lazy("Groups by group type"),
    ("group", "level"): gettext_lazy("Groups by capacity level"),
    ("group", "city"): gettext_lazy("Groups by city"),
}


def _percent(value: float) -> str:
    return f"{number_format(value * 100, 1)} %"


def _fairness(round: MatchingRound, audit: RoundLotteryAudit | None) -> dict[str, Any] | None:
    """The stored lottery audit in words: per side and dimension a table (and, for households,
    a chart) of the chance of a match and of the control arm."""
    if audit is None:
        return None
    labels = category_labels(CategoryKind.HOUSEHOLD_TYPE, CategoryKind.GROUP_TYPE)
    kinds = {"household": CategoryKind.HOUSEHOLD_TYPE, "group": CategoryKind.GROUP_TYPE}

    def label(side: str, by: str, value: str) -> str:
        if by == "type":
            return labels(kinds[side], value) or _("Type not known")
        if by == "level":
            text = (
                _("Vulnerability level %(level)s")
                if side == "household"
                else _("Capacity level %(level)s")
            )
            return text % {"level": value}
        return value or _("No city")

    control_arm = any(row["mean_p_control"] for row in audit.summaries) or round.control_arm
    segments = (
        [_("Match"), _("Control"), _("Neither")] if control_arm else [_("Match"), _("No match")]
    )
    sections = []
    for (side, by), title in FAIRNESS_TITLES.items():
        rows = [
            {
                "label": label(side, by, r["value"]),
                "participants": r["participants"],
                "matched": _percent(r["mean_p_matched"]),
                "range": f"{_percent(r['min_p_matched'])} – {_percent(r['max_p_matched'])}",
                "control": _percent(r["mean_p_control"]),
                "never": r["decided_by_eligibility"],
                "lottery": r["decided_by_lottery"],
                "shares": (
                    r["mean_p_matched"],
                    r["mean_p_control"],
                    max(0.0, 1.0 - r["mean_p_matched"] - r["mean_p_control"]),
                ),
            }
            for r in audit.summaries
            if r["side"] == side and r["by"] == by
        ]
        chart = None
        if side == "household" and rows:
            chart = stacked_bar_chart(
                title=str(title),
                bars=[
                    StackedBar(
                        row["label"],
                        list(row["shares"]) if control_arm else list(row["shares"][::2]),
                    )
                    for row in rows
                ],
                segments=segments,
                description=(
                    _(
                        "Mean chance of each household of a match, of the control arm and of "
                        "neither, over %(draws)s lottery draws."
                    )
                    if control_arm
                    else _("Mean chance of each household of a match over %(draws)s lottery draws.")
                )
                % {"draws": audit.draws},
                chart_id=f"fairness-{by}",
            )
        sections.append(
            {"id": f"{side}-{by}", "side": side, "title": title, "rows": rows, "chart": chart}
        )
    return {
        "audit": audit,
        "control_arm": control_arm,
        "outdated": audit.round_run_at != round.run_at,
        "last_seed": audit.first_seed + audit.draws - 1,
        "sections": sections,
    }
