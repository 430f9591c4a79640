"""Participant pages.

A Welcome Group or a household opens its own page through its personal link, without an
account: its match, the first meeting, its contacts, the joint plan, the next check-in and
open surveys; it confirms the first meeting and says how it is going. Coordinators make,
renew, send and withdraw these links from the group's and household's intake pages.
"""

from __future__ import annotations

import contextlib
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from welcomematch.accounts import scope
from welcomematch.accounts.models import User
from welcomematch.accounts.permissions import MANAGERS, role_required
from welcomematch.intake.models import WelcomeGroup
from welcomematch.lifecycle import services as lifecycle
from welcomematch.participants import selectors, services
from welcomematch.participants.forms import FirstMeetingForm, RatingForm
from welcomematch.participants.models import ParticipantLink

#: Where a freshly made link waits, in the coordinator's session, to be shown once.
SESSION_LINK = "participant_link_{side}_{pk}"


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


# --- coordinators: the link block on the intake pages --------------------------------------


def link_panel(request: HttpRequest, subject: selectors.Subject) -> dict[str, Any]:
    """The context of ``participants/_link_panel.html`` for a group's or household's intake
    page: the working link's dates, and a new link once, right after it was made."""
    side = "group" if isinstance(subject, WelcomeGroup) else "household"
    return {
        "side": side,
        "subject": subject,
        "live": selectors.live_link_of(subject),
        "last": selectors.links_of(subject).first(),
        "new_url": request.session.pop(SESSION_LINK.format(side=side, pk=subject.pk), ""),
        "email": subject.contact_email,
        "action": reverse(f"participants:{side}_link", args=[subject.pk]),
    }


def _manage(request: HttpRequest, subject: selectors.Subject, back: str) -> HttpResponse:
    assert isinstance(request.user, User)
    side = "group" if isinstance(subject, WelcomeGroup) else "household"
    kwargs: dict[str, Any] = {side: subject, "actor": request.user}
    action = request.POST.get("action", "")
    try:
        if action == "revoke":
            services.participant_link_revoke(**kwargs)
            messages.success(request, _("The personal page link is withdrawn; it no longer works."))
        elif action in ("renew", "send"):
            issued = services.participant_link_renew(
                base_url=_base_url(request), send_email=action == "send", **kwargs
            )
            request.session[SESSION_LINK.format(side=side, pk=subject.pk)] = issued.url
            if issued.emailed_to:
                messages.success(
                    request,
                    _("A new link is made and will be e-mailed to %(address)s.")
                    % {"address": issued.emailed_to},
                )
            else:
                messages.success(request, _("A new link is made; earlier links no longer work."))
        else:
            messages.error(request, _("Choose what to do with the link."))
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    return redirect(back, pk=subject.pk)


@require_POST
@role_required(MANAGERS)
def group_link(request: HttpRequest, pk: int) -> HttpResponse:
    group = get_object_or_404(scope.visible_groups(request.user), pk=pk)
    return _manage(request, group, "intake:group_detail")


@require_POST
@role_required(MANAGERS)
def household_link(request: HttpRequest, pk: int) -> HttpResponse:
    household = get_object_or_404(scope.visible_households(request.user), pk=pk)
    return _manage(request, household, "intake:household_detail")


# --- participants: their own page -----------------------------------------------------------


def _public(response: HttpResponse, language: str) -> HttpResponse:
    response["Content-Language"] = language
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"  # the token never leaves the site
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _refused(request: HttpRequest, refusal: selectors.LinkRefused) -> HttpResponse:
    response = render(
        request,
        "participants/refused.html",
        {"message": refusal.message},
        status=refusal.status,
    )
    return _public(response, translation.get_language() or "nl")


def _render_page(
    request: HttpRequest,
    link: ParticipantLink,
    token: str,
    *,
    first_meeting_form: FirstMeetingForm | None = None,
    rating_form: RatingForm | None = None,
    status: int = 200,
) -> HttpResponse:
    # The page shows no sensitive data (of anyone): the visit is an audited plain read.
    services.participant_page_visit(link=link, sensitive=False)
    with translation.override(link.language):
        page = selectors.participant_page(link)
        response = render(
            request,
            "participants/page.html",
            {
                "page": page,
                "token": token,
                "languages": selectors.PAGE_LANGUAGES,
                "first_meeting_form": first_meeting_form or FirstMeetingForm(),
                "rating_form": rating_form or RatingForm(),
            },
            status=status,
        )
    return _public(response, link.language)


def _link(token: str) -> ParticipantLink:
    return selectors.link_for_token(token)


@require_GET
def page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = _link(token)
    except selectors.LinkRefused as refusal:
        return _refused(request, refusal)
    return _render_page(request, link, token)


@require_POST
def page_language(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = _link(token)
    except selectors.LinkRefused as refusal:
        return _refused(request, refusal)
    with contextlib.suppress(ValidationError):  # an unknown language keeps the page as it was
        services.participant_link_set_language(link=link, language=request.POST.get("language", ""))
    return redirect("participants:page", token=token)


def _errors_into(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for code, problems in error.message_dict.items():
            form.add_error(code if code in form.fields else None, problems)
    else:
        form.add_error(None, error.messages)


@require_POST
def first_meeting(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = _link(token)
    except selectors.LinkRefused as refusal:
        return _refused(request, refusal)
    with translation.override(link.language):
        form = FirstMeetingForm(request.POST)
        match = selectors.current_match(selectors.subject_of(link))
        if form.is_valid() and match is not None:
            try:
                _match, confirmed = lifecycle.match_confirm_first_meeting(
                    match=match, side=link.side, met_on=form.cleaned_data["met_on"]
                )
            except ValidationError as error:
                _errors_into(form, error)
            else:
                messages.success(
                    request,
                    _("Thank you: your first meeting is recorded.")
                    if confirmed
                    else _("Your first meeting was already recorded. Thank you!"),
                )
                return redirect("participants:page", token=token)
        elif match is None:
            form.add_error(None, _("There is no match to confirm a meeting of."))
    return _render_page(request, link, token, first_meeting_form=form)


@require_POST
def rating(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = _link(token)
    except selectors.LinkRefused as refusal:
        return _refused(request, refusal)
    with translation.override(link.language):
        form = RatingForm(request.POST)
        match = selectors.current_match(selectors.subject_of(link))
        if form.is_valid() and match is not None:
            try:
                lifecycle.match_rate(
                    match=match,
                    side=link.side,
                    rating=form.cleaned_data["rating"],
                    comment=form.cleaned_data["comment"],
                    submission_key=form.cleaned_data["submission_key"],
                )
            except ValidationError as error:
                _errors_into(form, error)
            else:
                messages.success(request, _("Thank you for letting us know how it is going."))
                return redirect("participants:page", token=token)
        elif match is None:
            form.add_error(None, _("There is no match to say something about."))
    return _render_page(request, link, token, rating_form=form)


@require_POST
def survey(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = _link(token)
    except selectors.LinkRefused as refusal:
        return _refused(request, refusal)
    raw = request.POST.get("respondent", "")
    try:
        url = services.participant_survey_open(
            link=link,
            respondent_id=int(raw) if raw.isdigit() else -1,
            base_url=_base_url(request),
        )
    except ValidationError:
        with translation.override(link.language):
            messages.error(request, _("This survey is not open for you any more."))
        return redirect("participants:page", token=token)
    return redirect(url)
