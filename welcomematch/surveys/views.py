"""Survey pages.

Coordinators (managers of the programme) open waves, follow completion, send reminders, copy
reminder texts and enter interviews. Respondents reach only their own survey, through their
personal link, without logging in; the pages speak the respondent's language.
"""

from __future__ import annotations

import contextlib
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from welcomematch.accounts.models import User
from welcomematch.accounts.permissions import MANAGERS, role_required
from welcomematch.accounts.scope import working_programme
from welcomematch.surveys import selectors, services
from welcomematch.surveys.forms import ItemsForm, WaveOpenForm
from welcomematch.surveys.models import Respondent, Response, SurveyWave

#: Questions on one survey page: short pages that fit a phone screen.
ITEMS_PER_PAGE = 4


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


def _programme_filter(request: HttpRequest) -> dict[str, Any]:
    """Coordinators see their own programme's waves only; superusers see every programme."""
    user = _user(request)
    return {} if user.is_superuser else {"programme_id": user.programme_id}


def _wave(request: HttpRequest, pk: int) -> SurveyWave:
    return get_object_or_404(
        SurveyWave.objects.select_related("programme", "city"), pk=pk, **_programme_filter(request)
    )


def _respondent(request: HttpRequest, pk: int) -> Respondent:
    filters = {f"wave__{k}": v for k, v in _programme_filter(request).items()}
    return get_object_or_404(
        Respondent.objects.select_related(
            "wave", "wave__programme", "group", "group_member", "household", "person"
        ),
        pk=pk,
        **filters,
    )


def _errors_into(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for code, problems in error.message_dict.items():
            form.add_error(code if code in form.fields else None, problems)
    else:
        form.add_error(None, error.messages)


# --- coordinators ---------------------------------------------------------------------------


#: Survey waves per page of the surveys page.
WAVE_PAGE_SIZE = 25


@require_http_methods(["GET", "POST"])
@role_required(MANAGERS)
def index(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    programme = working_programme(user)
    if programme is None:
        raise Http404(_("No programme has been set up yet."))
    form = WaveOpenForm(request.POST or None, programme=programme)
    if request.method == "POST" and form.is_valid():
        try:
            opened = services.wave_open(
                programme=programme,
                moment=form.cleaned_data["moment"],
                city=form.cleaned_data["city"],
                closes_at=form.closes_at(),
                send_invitations=form.cleaned_data["send_invitations"],
                name=form.cleaned_data["name"],
                actor=user,
                base_url=_base_url(request),
            )
        except ValidationError as error:
            _errors_into(form, error)
        else:
            messages.success(
                request,
                _(
                    "Wave opened: %(n)s personal links, %(mailed)s sent by e-mail, "
                    "%(without)s without an e-mail address."
                )
                % {
                    "n": len(opened.links),
                    "mailed": opened.invitations,
                    "without": opened.without_email,
                },
            )
            return redirect("surveys:wave", pk=opened.wave.pk)
    page = Paginator(
        selectors.waves_for(programme=None).filter(**_programme_filter(request)), WAVE_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    rows = [(wave, selectors.wave_completion(wave=wave).total) for wave in page.object_list]
    now = timezone.now()
    due = {
        moment: selectors.matches_due(programme=programme, moment=moment, now=now).count()
        for moment in ("midterm", "final")
    }
    return render(
        request,
        "surveys/index.html",
        {
            "form": form,
            "rows": rows,
            "page": page,
            "programme": programme,
            "due": due,
            "now": now,
        },
    )


@require_http_methods(["GET"])
@role_required(MANAGERS)
def wave_detail(request: HttpRequest, pk: int) -> HttpResponse:
    wave = _wave(request, pk)
    completion = selectors.wave_completion(wave=wave)
    for respondent in completion.missing:
        respondent.display_name = selectors.respondent_name(respondent)  # type: ignore[attr-defined]
        respondent.has_email = bool(selectors.respondent_email(respondent))  # type: ignore[attr-defined]
    return render(
        request,
        "surveys/wave.html",
        {
            "wave": wave,
            "completion": completion,
            "is_open": wave.closes_at > timezone.now(),
        },
    )


@require_POST
@role_required(MANAGERS)
def wave_reminders(request: HttpRequest, pk: int) -> HttpResponse:
    wave = _wave(request, pk)
    try:
        sent = services.wave_send_reminders(
            wave=wave, actor=_user(request), base_url=_base_url(request)
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _(
                "%(sent)s reminders queued for e-mail; %(without)s respondents have no e-mail address."
            )
            % {"sent": sent.sent, "without": sent.without_email},
        )
    return redirect("surveys:wave", pk=wave.pk)


@require_POST
@role_required(MANAGERS)
def respondent_text(request: HttpRequest, pk: int) -> HttpResponse:
    respondent = _respondent(request, pk)
    try:
        link, text = services.respondent_new_link(
            respondent=respondent, actor=_user(request), base_url=_base_url(request)
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("surveys:wave", pk=respondent.wave_id)
    return render(
        request,
        "surveys/respondent_text.html",
        {
            "respondent": respondent,
            "name": selectors.respondent_name(respondent),
            "link": link,
            "text": text,
        },
    )


@require_http_methods(["GET", "POST"])
@role_required(MANAGERS)
def interview(request: HttpRequest, pk: int) -> HttpResponse:
    respondent = _respondent(request, pk)
    existing = respondent.responses.first()
    if existing is not None and existing.submitted_at is not None:
        messages.info(request, _("This person's answers have been recorded already."))
        return redirect("surveys:wave", pk=respondent.wave_id)
    if existing is not None:
        instrument = existing.instrument
    else:
        instrument = selectors.current_instrument(  # type: ignore[assignment]
            moment=respondent.wave.moment, side=respondent.side
        )
        if instrument is None:
            raise Http404
    items = list(selectors.items_for(instrument=instrument, trial_arm=respondent.trial_arm))
    language = translation.get_language() or "nl"
    initial = _saved(existing)
    form = ItemsForm(
        request.POST or None,
        items=items,
        language=language,
        enforce_required=False,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.response_enter_interview(
                respondent=respondent, answers=form.answers(), actor=_user(request)
            )
        except ValidationError as error:
            _errors_into(form, error)
        else:
            messages.success(request, _("Interview answers saved."))
            return redirect("surveys:wave", pk=respondent.wave_id)
    return render(
        request,
        "surveys/interview.html",
        {
            "respondent": respondent,
            "name": selectors.respondent_name(respondent),
            "form": form,
            "instrument": instrument,
        },
    )


# --- respondents, through their personal link ---------------------------------------------


def _saved(response: Response | None) -> dict[str, Any]:
    if response is None:
        return {}
    return {a.item_code: a.value for a in response.answers.all()}


def _refused(request: HttpRequest, refusal: selectors.LinkRefused) -> HttpResponse:
    return render(
        request, "surveys/take_refused.html", {"message": refusal.message}, status=refusal.status
    )


def _pages(items: list[Any]) -> list[list[Any]]:
    return [items[i : i + ITEMS_PER_PAGE] for i in range(0, len(items), ITEMS_PER_PAGE)] or [[]]


def _survey_context(respondent: Respondent) -> tuple[Response | None, list[list[Any]]]:
    response = respondent.responses.select_related("instrument").first()
    instrument = (
        response.instrument
        if response is not None
        else selectors.current_instrument(moment=respondent.wave.moment, side=respondent.side)
    )
    if instrument is None:
        raise Http404
    items = list(selectors.items_for(instrument=instrument, trial_arm=respondent.trial_arm))
    return response, _pages(items)


def _render_public(
    request: HttpRequest, respondent: Respondent, template: str, context: dict[str, Any]
) -> HttpResponse:
    with translation.override(respondent.language):
        response = render(
            request,
            template,
            {
                "respondent": respondent,
                "programme": respondent.wave.programme,
                "moment": respondent.wave.moment,
                "languages": selectors.SURVEY_LANGUAGES,
                **context,
            },
        )
    response["Content-Language"] = respondent.language
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"  # the token never leaves the site
    return response


@require_http_methods(["GET"])
def take(request: HttpRequest, token: str) -> HttpResponse:
    try:
        respondent = selectors.respondent_for_token(token)
    except selectors.LinkRefused as refusal:
        return _refused(request, refusal)
    response, pages = _survey_context(respondent)
    if response is not None and response.submitted_at is not None:
        return _render_public(request, respondent, "surveys/take_done.html", {"token": token})
    resume = min(response.last_page + 1, len(pages)) if response is not None else 1
    return _render_public(
        request,
        respondent,
        "surveys/take_start.html",
        {
            "token": token,
            "resume": resume,
            "resumed": response is not None,
            "pages": len(pages),
            "questions": sum(len(p) for p in pages),
        },
    )


@require_POST
def take_language(request: HttpRequest, token: str) -> HttpResponse:
    try:
        respondent = selectors.respondent_for_token(token)
    except selectors.LinkRefused as refusal:
        return _refused(request, refusal)
    with contextlib.suppress(ValidationError):  # an unknown language keeps the page as it was
        services.respondent_set_language(
            respondent=respondent, language=request.POST.get("language", "")
        )
    target = request.POST.get("next", "")
    prefix = reverse("surveys:take", args=[token])
    return redirect(target if target.startswith(prefix) else prefix)


@require_http_methods(["GET", "POST"])
def take_page(request: HttpRequest, token: str, page: int) -> HttpResponse:
    try:
        respondent = selectors.respondent_for_token(token)
    except selectors.LinkRefused as refusal:
        return _refused(request, refusal)
    response, pages = _survey_context(respondent)
    if response is not None and response.submitted_at is not None:
        return redirect("surveys:take", token=token)
    if not 1 <= page <= len(pages):
        raise Http404
    items = pages[page - 1]
    last = page == len(pages)
    action = request.POST.get("action", "next")
    data = request.POST if request.method == "POST" else None
    form = ItemsForm(
        data,
        items=items,
        language=respondent.language,
        enforce_required=action in ("next", "submit"),
        initial=_saved(response),
    )
    if data is not None:
        with translation.override(respondent.language):
            valid = form.is_valid()
            if valid:
                try:
                    services.response_save_page(
                        respondent=respondent, answers=form.answers(), page=page
                    )
                    if last and action == "submit":
                        services.response_submit(respondent=respondent)
                except ValidationError as error:
                    on_page = {i.code for i in items}
                    problems = getattr(error, "error_dict", {})
                    elsewhere = [code for code in problems if code not in on_page]
                    if elsewhere and not any(code in on_page for code in problems):
                        first = min(
                            n
                            for n, p in enumerate(pages, start=1)
                            if any(i.code in elsewhere for i in p)
                        )
                        return redirect("surveys:take_page", token=token, page=first)
                    _errors_into(form, error)
                else:
                    if action == "later":
                        return redirect("surveys:take", token=token)
                    if action == "back" and page > 1:
                        return redirect("surveys:take_page", token=token, page=page - 1)
                    if last and action == "submit":
                        return redirect("surveys:take", token=token)
                    return redirect(
                        "surveys:take_page", token=token, page=min(page + 1, len(pages))
                    )
    return _render_public(
        request,
        respondent,
        "surveys/take_page.html",
        {
            "token": token,
            "form": form,
            "page": page,
            "pages": len(pages),
            "last": last,
        },
    )
