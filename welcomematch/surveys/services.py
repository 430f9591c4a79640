"""Writers of the surveys app: instrument versions, waves and links, answers, reminders.

Keyword-only, one transaction each, audited; error messages are the module constants below.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from welcomematch.accounts.models import User
from welcomematch.accounts.services import audit_record
from welcomematch.core.scales import CEFR_LEVELS, MOMENTS, SIDES
from welcomematch.core.survey_answers import AnswerProblem, clean_answer, is_known_scale
from welcomematch.i18n import message
from welcomematch.intake.models import Household
from welcomematch.lifecycle.models import Match
from welcomematch.mail.services import mail_enqueue, render_message
from welcomematch.programmes.models import City, Programme
from welcomematch.surveys import selectors
from welcomematch.surveys.catalogue import REQUIRED_LANGUAGES
from welcomematch.surveys.models import (
    Answer,
    Instrument,
    Item,
    Moment,
    Respondent,
    Response,
    Side,
    Source,
    SurveyWave,
    TrialArm,
)
from welcomematch.tokens import new_token

ERR_MOMENT = _("Unknown survey moment %(moment)s.")
ERR_SIDE = _("Unknown side %(side)s.")
ERR_NO_INSTRUMENT = _("There is no current %(moment)s instrument for %(side)s.")
ERR_CLOSES_IN_PAST = _("The closing date must lie in the future.")
ERR_CITY = _("The city %(city)s belongs to another programme.")
ERR_NOTHING = _(
    "Nobody to survey: no match or control household of this programme is due for this moment "
    "(or everyone due already has a link)."
)
ERR_FOREIGN_MATCH = _("Match %(match)s belongs to another programme.")
ERR_ITEM_CODE = _("Item %(position)s: the code %(code)s must be lower-case letters, digits and _.")
ERR_ITEM_DUPLICATE = _("The code %(code)s is used twice.")
ERR_ITEM_SCALE = _("Item %(code)s: unknown answer scale %(scale)s.")
ERR_ITEM_WORDING = _("Item %(code)s: the wording in %(languages)s is missing.")
ERR_ITEM_TEXT = _("Item %(code)s: the wording must map language codes to text.")
ERR_NO_ITEMS = _("An instrument needs at least one item.")
ERR_NO_CHANGE = _("Nothing changed: no new version made.")
ERR_SUBMITTED = _("This survey has been sent already; it cannot be changed.")
ERR_ANSWER = _("%(item)s: %(problem)s")
ERR_UNKNOWN_ITEM = _("%(item)s is not a question of this survey.")
ERR_REQUIRED = _("Please answer this question.")
ERR_LANGUAGE = _("Language %(language)s is not offered.")
ERR_WAVE_CLOSED = _("This wave has closed.")

#: What a moment's survey is called in messages.
SURVEY_NAMES: dict[str, Any] = {
    Moment.INTAKE: _("intake survey"),
    Moment.MIDTERM: _("mid-term survey"),
    Moment.FINAL: _("final survey"),
}

#: Days a wave stays open unless the coordinator says otherwise.
DEFAULT_WAVE_DAYS = 42
CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


def survey_link(*, base_url: str, token: str) -> str:
    return base_url.rstrip("/") + reverse("surveys:take", args=[token])


# --- instruments: every change is a new version --------------------------------------------


@dataclass(frozen=True)
class ItemData:
    code: str
    scale: str
    text: Mapping[str, str]
    concerns_match: bool = False
    required: bool = True


def instrument_check_items(items: Sequence[ItemData]) -> None:
    """Refuse (``ValidationError``) items a version cannot have; writes nothing."""
    if not items:
        raise ValidationError(ERR_NO_ITEMS)
    seen: set[str] = set()
    for position, item in enumerate(items, start=1):
        if not CODE_PATTERN.match(item.code or ""):
            raise ValidationError(message(ERR_ITEM_CODE, position=position, code=item.code))
        if item.code in seen:
            raise ValidationError(message(ERR_ITEM_DUPLICATE, code=item.code))
        seen.add(item.code)
        if not is_known_scale(item.scale):
            raise ValidationError(message(ERR_ITEM_SCALE, code=item.code, scale=item.scale))
        if not isinstance(item.text, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in item.text.items()
        ):
            raise ValidationError(message(ERR_ITEM_TEXT, code=item.code))
        missing = [lang for lang in REQUIRED_LANGUAGES if not str(item.text.get(lang, "")).strip()]
        if missing:
            raise ValidationError(
                message(ERR_ITEM_WORDING, code=item.code, languages=", ".join(missing))
            )


def item_data(instrument: Instrument) -> list[ItemData]:
    """An instrument version's items as data, in order."""
    return [
        ItemData(
            code=i.code,
            scale=i.scale,
            text=dict(i.text),
            concerns_match=i.concerns_match,
            required=i.required,
        )
        for i in instrument.items.order_by("position", "id")
    ]


@transaction.atomic
def instrument_new_version(
    *,
    moment: str,
    side: str,
    items: Sequence[ItemData],
    actor: User | None,
    note: str = "",
) -> Instrument:
    """Make ``items`` the new current version of the (moment, side) instrument.

    Earlier versions are kept unchanged, so every response keeps the version it answered. A
    version identical to the current one is refused (:data:`ERR_NO_CHANGE`).
    """
    if moment not in MOMENTS:
        raise ValidationError(message(ERR_MOMENT, moment=moment))
    if side not in SIDES:
        raise ValidationError(message(ERR_SIDE, side=side))
    instrument_check_items(items)
    versions = Instrument.objects.select_for_update().filter(moment=moment, side=side)
    current = versions.filter(is_current=True).first()
    if current is not None and item_data(current) == [
        ItemData(
            code=i.code,
            scale=i.scale,
            text=dict(i.text),
            concerns_match=i.concerns_match,
            required=i.required,
        )
        for i in items
    ]:
        raise ValidationError(ERR_NO_CHANGE)
    number = (versions.aggregate(top=Max("version"))["top"] or 0) + 1
    versions.filter(is_current=True).update(is_current=False)
    instrument = Instrument(
        moment=moment,
        side=side,
        version=number,
        is_current=True,
        note=note[:300],
        created_by=actor if actor is not None and actor.pk else None,
    )
    instrument.full_clean()
    instrument.save()
    Item.objects.bulk_create(
        Item(
            instrument=instrument,
            position=position,
            code=item.code,
            scale=item.scale,
            text=dict(item.text),
            concerns_match=item.concerns_match,
            required=item.required,
        )
        for position, item in enumerate(items, start=1)
    )
    audit_record(
        actor=actor,
        action="survey.instrument_version",
        obj=instrument,
        data={
            "moment": moment,
            "side": side,
            "version": number,
            "previous": current.version if current else None,
            "items": [item.code for item in items],
            "note": note,
        },
    )
    return instrument


# --- waves and personal links ---------------------------------------------------------------


def respondent_language(*, side: str, household: Household | None, languages: Iterable[str]) -> str:
    """The language a respondent is first addressed in (they can switch on the page).

    Group members: Dutch, unless their group speaks English and not Dutch. Newcomers: Dutch
    from level B1 up, otherwise English if they speak it, otherwise Dutch.
    """
    spoken = {str(code).lower() for code in languages}
    if side == Side.GROUP_MEMBER or household is None:
        return "en" if "en" in spoken and "nl" not in spoken else "nl"
    dutch = CEFR_LEVELS.get(household.cefr_dutch or "none", 0)
    english = CEFR_LEVELS.get(household.cefr_english or "none", 0)
    if dutch >= CEFR_LEVELS["B1"]:
        return "nl"
    if "en" in spoken or english >= CEFR_LEVELS["A2"]:
        return "en"
    return "nl"


@dataclass
class WaveOpened:
    wave: SurveyWave
    links: list[tuple[Respondent, str]] = field(default_factory=list)
    invitations: int = 0
    without_email: int = 0


def _issue(respondent: Respondent) -> str:
    token = new_token()
    respondent.token_hash = selectors.token_hash(token)
    return token


def _enqueue_link(*, respondent: Respondent, token: str, base_url: str, purpose: str) -> bool:
    address = selectors.respondent_email(respondent)
    if not address:
        return False
    wave = respondent.wave
    rendered = render_message(
        template=f"surveys/mail/{purpose}",
        context={
            "link": survey_link(base_url=base_url, token=token),
            "programme": wave.programme.name,
            "moment": wave.moment,
            "name": selectors.respondent_greeting(respondent),
            "survey": SURVEY_NAMES.get(wave.moment, ""),
            "closes_at": wave.closes_at,
        },
        language=respondent.language,
    )
    mail_enqueue(
        to=address,
        rendered=rendered,
        language=respondent.language,
        purpose=f"survey.{purpose}",
        about=respondent,
    )
    return True


@transaction.atomic
def wave_open(
    *,
    programme: Programme,
    moment: str,
    actor: User | None,
    base_url: str,
    city: City | None = None,
    closes_at: datetime | None = None,
    matches: list[Match] | None = None,
    controls: list[Household] | None = None,
    send_invitations: bool = True,
    name: str = "",
    now: datetime | None = None,
) -> WaveOpened:
    """Open a survey wave of ``moment`` and give every respondent a personal link.

    Who: every member of the groups and every adult of the households of ``matches`` (by
    default the matches due for ``moment``, see :func:`selectors.eligible_matches`), and every
    adult of the control households (by default those drawn beside them at the final moment).
    People who already have a link for this moment are skipped. Each link expires when the wave
    closes; only its hash is stored. With ``send_invitations`` each link is queued as an e-mail
    in the respondent's language (``welcomematch send-mail`` delivers it).
    """
    now = now or timezone.now()
    if moment not in MOMENTS:
        raise ValidationError(message(ERR_MOMENT, moment=moment))
    closes_at = closes_at or now + timedelta(days=DEFAULT_WAVE_DAYS)
    if closes_at <= now:
        raise ValidationError({"closes_at": ERR_CLOSES_IN_PAST})
    if city is not None and city.programme_id != programme.pk:
        raise ValidationError(message(ERR_CITY, city=city.name))
    if matches is None:
        matches = list(
            selectors.eligible_matches(programme=programme, moment=moment, city=city, now=now)
        )
    for match in matches:
        if match.group.programme_id != programme.pk:
            raise ValidationError(message(ERR_FOREIGN_MATCH, match=str(match)))
    if controls is None:
        controls = list(
            selectors.eligible_controls(
                programme=programme, moment=moment, matches=matches, city=city
            )
        )
    households_only: list[Household] = []
    if moment == Moment.INTAKE and not matches:
        households_only = [
            h
            for h in selectors.intake_households(programme=programme, city=city)
            if h.pk not in {c.pk for c in controls}
        ]
    wave = SurveyWave(
        programme=programme,
        moment=moment,
        city=city,
        name=name[:200],
        opened_at=now,
        closes_at=closes_at,
        opened_by=actor if actor is not None and actor.pk else None,
    )
    wave.full_clean()
    wave.save()
    done_members, done_persons = selectors.already_surveyed(programme=programme, moment=moment)
    has_instrument = {
        side: selectors.current_instrument(moment=moment, side=side) is not None for side in SIDES
    }
    planned: list[Respondent] = []

    def add_household(household: Household, arm: str, match: Match | None) -> None:
        if not has_instrument[Side.NEWCOMER]:
            return
        for person in selectors.adults(household):
            if person.pk in done_persons:
                continue
            done_persons.add(person.pk)
            planned.append(
                Respondent(
                    wave=wave,
                    side=Side.NEWCOMER,
                    group=match.group if match else None,
                    household=household,
                    person=person,
                    match=match,
                    city=household.city,
                    trial_arm=arm,
                    language=respondent_language(
                        side=Side.NEWCOMER, household=household, languages=household.languages
                    ),
                    expires_at=closes_at,
                )
            )

    for match in matches:
        arm = selectors.match_trial_arm(match)
        if has_instrument[Side.GROUP_MEMBER]:
            for member in selectors.members(match):
                if member.pk in done_members:
                    continue
                done_members.add(member.pk)
                planned.append(
                    Respondent(
                        wave=wave,
                        side=Side.GROUP_MEMBER,
                        group=match.group,
                        group_member=member,
                        household=match.household,
                        match=match,
                        city=match.group.city,
                        trial_arm=arm,
                        language=respondent_language(
                            side=Side.GROUP_MEMBER, household=None, languages=match.group.languages
                        ),
                        expires_at=closes_at,
                    )
                )
        add_household(match.household, arm, match)
    for household in controls:
        add_household(household, TrialArm.CONTROL, None)
    for household in households_only:
        add_household(household, selectors.household_trial_arm(household), None)
    if not planned:
        raise ValidationError(ERR_NOTHING)
    result = WaveOpened(wave=wave)
    tokens = []
    for respondent in planned:
        tokens.append(_issue(respondent))
        # The related rows were read from the database just now: check the fields only.
        respondent.clean_fields(
            exclude=["wave", "group", "group_member", "household", "person", "match", "city"]
        )
    Respondent.objects.bulk_create(planned)
    for respondent, token in zip(planned, tokens, strict=True):
        result.links.append((respondent, token))
        if send_invitations:
            if _enqueue_link(
                respondent=respondent, token=token, base_url=base_url, purpose="invitation"
            ):
                result.invitations += 1
            else:
                result.without_email += 1
    audit_record(
        actor=actor,
        action="survey.wave_opened",
        obj=wave,
        data={
            "moment": moment,
            "city": city.name if city else None,
            "closes_at": closes_at.isoformat(),
            "matches": [m.pk for m in matches],
            "controls": [h.reference for h in controls],
            "respondents": len(planned),
            "invitations": result.invitations,
        },
    )
    return result


def _open_respondent(respondent: Respondent, now: datetime) -> Respondent:
    respondent = (
        Respondent.objects.select_for_update(of=("self",))
        .select_related("wave")
        .get(pk=respondent.pk)
    )
    if respondent.wave.closes_at <= now:
        raise ValidationError(ERR_WAVE_CLOSED)
    return respondent


@transaction.atomic
def respondent_new_link(
    *, respondent: Respondent, actor: User | None, base_url: str, now: datetime | None = None
) -> tuple[str, str]:
    """A fresh personal link for one respondent (the previous one stops working; answers
    saved so far stay), with the reminder text to copy into a WhatsApp message."""
    now = now or timezone.now()
    respondent = _open_respondent(respondent, now)
    token = _issue(respondent)
    respondent.last_reminded_at = now
    respondent.save(update_fields=["token_hash", "last_reminded_at"])
    link = survey_link(base_url=base_url, token=token)
    rendered = render_message(
        template="surveys/mail/reminder",
        context={
            "link": link,
            "programme": respondent.wave.programme.name,
            "moment": respondent.wave.moment,
            "name": selectors.respondent_greeting(respondent),
            "survey": SURVEY_NAMES.get(respondent.wave.moment, ""),
            "closes_at": respondent.wave.closes_at,
        },
        language=respondent.language,
    )
    audit_record(
        actor=actor,
        action="survey.reminder_text",
        obj=respondent,
        data={"wave": respondent.wave_id, "language": respondent.language},
    )
    return link, rendered.text


@dataclass
class RemindersSent:
    sent: int = 0
    without_email: int = 0


@transaction.atomic
def wave_send_reminders(
    *,
    wave: SurveyWave,
    actor: User | None,
    base_url: str,
    not_since: timedelta | None = None,
    now: datetime | None = None,
) -> RemindersSent:
    """Queue a reminder e-mail, in each one's language, to every respondent of the wave who
    has not submitted (skipping those reminded within ``not_since``). Each reminder carries a
    fresh link; the previous link stops working, answers saved so far stay."""
    now = now or timezone.now()
    wave = SurveyWave.objects.select_for_update().select_related("programme").get(pk=wave.pk)
    if wave.closes_at <= now:
        raise ValidationError(ERR_WAVE_CLOSED)
    result = RemindersSent()
    pending = (
        wave.respondents.exclude(responses__submitted_at__isnull=False)
        .select_related("group", "group_member", "household", "person")
        .order_by("id")
    )
    if not_since is not None:
        pending = pending.exclude(last_reminded_at__gt=now - not_since)
    for respondent in pending:
        respondent.wave = wave
        if not selectors.respondent_email(respondent):
            result.without_email += 1
            continue
        token = _issue(respondent)
        respondent.last_reminded_at = now
        respondent.save(update_fields=["token_hash", "last_reminded_at"])
        _enqueue_link(respondent=respondent, token=token, base_url=base_url, purpose="reminder")
        result.sent += 1
    audit_record(
        actor=actor,
        action="survey.reminders_sent",
        obj=wave,
        data={"sent": result.sent, "without_email": result.without_email},
    )
    return result


# --- answering ------------------------------------------------------------------------------


def _clean(
    items: Mapping[str, Item], answers: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for code, raw in answers.items():
        item = items.get(code)
        if item is None:
            errors[code] = message(ERR_UNKNOWN_ITEM, item=code)
            continue
        try:
            cleaned[code] = clean_answer(item.scale, raw)
        except AnswerProblem as problem:
            errors[code] = message(ERR_ANSWER, item=code, problem=str(problem))
    return cleaned, errors


def _write_answers(response: Response, cleaned: Mapping[str, Any]) -> None:
    """Store cleaned answers: new ones created, changed ones updated, blank ones removed."""
    existing = {a.item_code: a for a in Answer.objects.filter(response=response)}
    blank = [code for code, value in cleaned.items() if value is None and code in existing]
    if blank:
        Answer.objects.filter(response=response, item_code__in=blank).delete()
    changed = []
    for code, value in cleaned.items():
        if value is not None and code in existing and existing[code].value != value:
            existing[code].value = value
            changed.append(existing[code])
    if changed:
        Answer.objects.bulk_update(changed, ["value"])
    Answer.objects.bulk_create(
        Answer(response=response, item_code=code, value=value)
        for code, value in cleaned.items()
        if value is not None and code not in existing
    )


def _response_for(respondent: Respondent, *, source: str, now: datetime) -> Response:
    response = Response.objects.filter(respondent=respondent).select_related("instrument").first()
    if response is not None:
        return response
    wave = respondent.wave
    instrument = selectors.current_instrument(moment=wave.moment, side=respondent.side)
    if instrument is None:
        raise ValidationError(message(ERR_NO_INSTRUMENT, moment=wave.moment, side=respondent.side))
    response = Response(
        programme_id=wave.programme_id,
        moment=wave.moment,
        side=respondent.side,
        instrument=instrument,
        respondent=respondent,
        group_id=respondent.group_id,
        household_id=respondent.household_id,
        city_id=respondent.city_id,
        trial_arm=respondent.trial_arm,
        started_at=now,
        source=source,
    )
    response.clean_fields(
        exclude=["programme", "instrument", "respondent", "group", "household", "city"]
    )
    try:
        with transaction.atomic():
            response.save()
    except IntegrityError:  # a second tab saved first: use its response
        return Response.objects.get(respondent=respondent)
    return response


def response_items(response: Response) -> list[Item]:
    return list(selectors.items_for(instrument=response.instrument, trial_arm=response.trial_arm))


def _missing_required(response: Response) -> list[str]:
    answered = set(response.answers.exclude(value=None).values_list("item_code", flat=True))
    return [i.code for i in response_items(response) if i.required and i.code not in answered]


@transaction.atomic
def response_save_page(
    *,
    respondent: Respondent,
    answers: Mapping[str, Any],
    page: int,
    now: datetime | None = None,
) -> Response:
    """Save one page of a respondent's answers; progress is kept between visits.

    Raises ``ValidationError`` with a message per item code when an answer does not fit its
    scale (nothing of the page is saved then).
    """
    now = now or timezone.now()
    respondent = _open_respondent(respondent, now)
    response = _response_for(respondent, source=Source.WEB, now=now)
    if response.submitted_at is not None:
        raise ValidationError(ERR_SUBMITTED)
    items = {i.code: i for i in response_items(response)}
    cleaned, errors = _clean(items, answers)
    if errors:
        raise ValidationError(errors)
    _write_answers(response, cleaned)
    response.last_page = max(response.last_page, page)
    response.save()
    return response


@transaction.atomic
def response_submit(*, respondent: Respondent, now: datetime | None = None) -> Response:
    """Send a respondent's saved answers: every required question must have an answer
    (``ValidationError`` naming each one that has none). A sent response cannot change."""
    now = now or timezone.now()
    respondent = _open_respondent(respondent, now)
    response = _response_for(respondent, source=Source.WEB, now=now)
    if response.submitted_at is not None:
        raise ValidationError(ERR_SUBMITTED)
    missing = _missing_required(response)
    if missing:
        raise ValidationError({code: str(ERR_REQUIRED) for code in missing})
    response.submitted_at = now
    response.save()
    return response


@transaction.atomic
def respondent_set_language(*, respondent: Respondent, language: str) -> Respondent:
    """The respondent chose the language of their survey pages and messages."""
    if language not in selectors.SURVEY_LANGUAGES:
        raise ValidationError(message(ERR_LANGUAGE, language=language))
    Respondent.objects.filter(pk=respondent.pk).update(language=language)
    respondent.language = language
    return respondent


@transaction.atomic
def response_enter_interview(
    *,
    respondent: Respondent,
    answers: Mapping[str, Any],
    actor: User,
    now: datetime | None = None,
) -> Response:
    """Record the answers a coordinator took down in an interview, on the respondent's behalf
    (``source=interview``, ``entered_by``). Questions the person did not answer stay blank.
    A response the person already sent through their link is not overwritten."""
    now = now or timezone.now()
    respondent = (
        Respondent.objects.select_for_update(of=("self",))
        .select_related("wave")
        .get(pk=respondent.pk)
    )
    response = _response_for(respondent, source=Source.INTERVIEW, now=now)
    if response.submitted_at is not None:
        raise ValidationError(ERR_SUBMITTED)
    items = {i.code: i for i in response_items(response)}
    cleaned, errors = _clean(items, answers)
    if errors:
        raise ValidationError(errors)
    cleaned = {code: cleaned.get(code) for code in items}
    _write_answers(response, cleaned)
    response.source = Source.INTERVIEW
    response.entered_by = actor
    response.submitted_at = now
    response.save()
    audit_record(
        actor=actor,
        action="survey.interview_entered",
        obj=response,
        data={
            "respondent": respondent.pk,
            "wave": respondent.wave_id,
            "answered": sorted(c for c, v in cleaned.items() if v is not None),
        },
    )
    return response
