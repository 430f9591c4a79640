"""Read-only queries of the surveys app: instruments, who is surveyed, links, completion."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from welcomematch.intake.models import GroupMember, Household, Person
from welcomematch.lifecycle.models import Match
from welcomematch.programmes.models import City, Programme
from welcomematch.surveys.models import (
    Instrument,
    Item,
    Moment,
    Respondent,
    Response,
    Side,
    SurveyWave,
    TrialArm,
)
from welcomematch.tokens import token_hash
from welcomematch.trial.models import ControlAssignment

#: A person of this age or older answers the newcomer survey.
ADULT_AGE = 18
#: The mid-term survey is for matches between five and eight months in (evaluation.md).
MIDTERM_MONTHS = (5, 8)
#: The final survey is for matches twelve months or more in, and their control households.
FINAL_MONTHS = 12
#: Languages the survey pages and messages are offered in now (labels come from the items'
#: JSON, so Arabic or Tigrinya is a matter of adding wording and a translation catalogue).
SURVEY_LANGUAGES: tuple[str, ...] = ("nl", "en")

LINK_UNKNOWN = _("This survey link is not known. Please check that you copied all of it.")
LINK_EXPIRED = _(
    "This survey link has expired. Please ask your contact person for a new one if you still "
    "want to take part."
)


class LinkRefused(Exception):
    """A personal link that cannot be used: ``reason`` and the HTTP status to answer with."""

    def __init__(self, reason: str, status: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status

    @property
    def message(self) -> str:
        return str(LINK_EXPIRED if self.reason == "expired" else LINK_UNKNOWN)


def respondent_for_token(token: str, *, now: datetime | None = None) -> Respondent:
    """The one respondent a personal link opens; :class:`LinkRefused` when it cannot be used."""
    digest = token_hash(token)
    respondent = (
        Respondent.objects.select_related("wave", "wave__programme", "group", "household")
        .filter(token_hash=digest)
        .first()
    )
    if respondent is None or not hmac.compare_digest(respondent.token_hash, digest):
        raise LinkRefused("unknown", 404)
    if respondent.expires_at <= (now or timezone.now()):
        raise LinkRefused("expired", 410)
    return respondent


# --- instruments ----------------------------------------------------------------------------


def current_instrument(*, moment: str, side: str) -> Instrument | None:
    return Instrument.objects.filter(moment=moment, side=side, is_current=True).first()


def items_for(*, instrument: Instrument, trial_arm: str) -> QuerySet[Item]:
    """The items a respondent of ``trial_arm`` is asked: control households are never asked
    the items that concern a match (the one home of that rule)."""
    items = instrument.items.order_by("position", "id")
    if trial_arm == TrialArm.CONTROL:
        items = items.filter(concerns_match=False)
    return items


def item_text(item: Item, language: str) -> str:
    """The wording in ``language``, else English, else Dutch, else the code."""
    text = item.text or {}
    return str(text.get(language) or text.get("en") or text.get("nl") or item.code)


# --- who is surveyed --------------------------------------------------------------------------


def months_before(when: datetime, months: int) -> datetime:
    """``when`` moved back ``months`` calendar months (the day clipped to the month's length)."""
    import calendar

    month_index = when.year * 12 + (when.month - 1) - months
    year, month = divmod(month_index, 12)
    day = min(when.day, calendar.monthrange(year, month + 1)[1])
    return when.replace(year=year, month=month + 1, day=day)


def match_trial_arm(match: Match) -> str:
    """``treatment`` for a match made by a round with randomised control, else blank."""
    return TrialArm.TREATMENT if match.round_id and match.round.control_arm else TrialArm.NONE  # type: ignore[union-attr]


def household_trial_arm(household: Household) -> str:
    """``control`` for a control household, ``treatment`` for a household matched by a round
    with randomised control, blank otherwise."""
    if ControlAssignment.objects.filter(household=household).exists():
        return TrialArm.CONTROL
    if Match.objects.filter(household=household, round__control_arm=True).exists():
        return TrialArm.TREATMENT
    return TrialArm.NONE


def eligible_matches(
    *, programme: Programme, moment: str, city: City | None = None, now: datetime | None = None
) -> QuerySet[Match]:
    """Matches whose people a wave of ``moment`` surveys: mid-term 5–8 months after the start,
    final 12 months or more after it (whatever the match's status now); none at intake."""
    now = now or timezone.now()
    matches = Match.objects.filter(
        group__programme=programme, started_at__isnull=False
    ).select_related("group", "household", "round", "group__city", "household__city")
    if city is not None:
        matches = matches.filter(Q(household__city=city) | Q(group__city=city))
    if moment == Moment.MIDTERM:
        earliest, latest = MIDTERM_MONTHS
        return matches.filter(
            started_at__lte=months_before(now, earliest),
            started_at__gte=months_before(now, latest),
        ).order_by("started_at", "id")
    if moment == Moment.FINAL:
        return matches.filter(started_at__lte=months_before(now, FINAL_MONTHS)).order_by(
            "started_at", "id"
        )
    return matches.none()


def eligible_controls(
    *,
    programme: Programme,
    moment: str,
    matches: QuerySet[Match] | list[Match],
    city: City | None = None,
) -> QuerySet[Household]:
    """Control households a wave surveys: at the final moment, the controls drawn beside the
    surveyed matches' households; at intake, every control household; none at mid-term."""
    controls = Household.objects.filter(
        programme=programme, control_assignment__isnull=False
    ).select_related("city")
    if city is not None:
        controls = controls.filter(city=city)
    if moment == Moment.FINAL:
        treated = [m.household_id for m in matches]
        return controls.filter(control_assignment__treatment_household_id__in=treated)
    if moment == Moment.INTAKE:
        return controls
    return controls.none()


def intake_households(*, programme: Programme, city: City | None = None) -> QuerySet[Household]:
    """Households whose intake is complete and who are still in the programme (intake wave)."""
    rows = Household.objects.filter(
        programme=programme, intake_completed_at__isnull=False, withdrawn_at__isnull=True
    ).select_related("city")
    return rows.filter(city=city) if city is not None else rows


def adults(household: Household) -> QuerySet[Person]:
    return household.persons.filter(age__gte=ADULT_AGE).order_by("id")


def members(match: Match) -> QuerySet[GroupMember]:
    return match.group.members.order_by("id")


def matches_due(
    *, programme: Programme, moment: str, city: City | None = None, now: datetime | None = None
) -> QuerySet[Match]:
    """The eligible matches (:func:`eligible_matches`) with at least one group member or adult
    who has no link for ``moment`` yet: the matches a new wave would still invite."""
    linked = Respondent.objects.filter(wave__programme=programme, wave__moment=moment)
    member_without = GroupMember.objects.filter(group=OuterRef("group")).exclude(
        pk__in=linked.exclude(group_member=None).values("group_member_id")
    )
    adult_without = Person.objects.filter(
        household=OuterRef("household"), age__gte=ADULT_AGE
    ).exclude(pk__in=linked.exclude(person=None).values("person_id"))
    return eligible_matches(programme=programme, moment=moment, city=city, now=now).filter(
        Exists(member_without) | Exists(adult_without)
    )


def already_surveyed(*, programme: Programme, moment: str) -> tuple[set[int], set[int]]:
    """Group members and persons who have a link for ``moment`` in this programme already."""
    rows = Respondent.objects.filter(wave__programme=programme, wave__moment=moment)
    member_ids = set(rows.exclude(group_member=None).values_list("group_member_id", flat=True))
    person_ids = set(rows.exclude(person=None).values_list("person_id", flat=True))
    return member_ids, person_ids


# --- waves and completion -------------------------------------------------------------------


def waves_for(*, programme: Programme | None) -> QuerySet[SurveyWave]:
    rows = SurveyWave.objects.select_related("city", "opened_by")
    return rows.filter(programme=programme) if programme is not None else rows


def respondent_name(respondent: Respondent) -> str:
    """How a coordinator recognises a respondent: first name (members) or contact name and
    relation (newcomers), with the group's or household's reference."""
    if respondent.group_member is not None:
        return f"{respondent.group_member.first_name} ({respondent.group.reference if respondent.group else ''})"
    if respondent.household is not None:
        person = respondent.person
        if person is None or person.relation == Person.Relation.MAIN:
            who = respondent.household.contact_name
        else:
            who = f"{respondent.household.contact_name}: {person.get_relation_display()}"
        return f"{who} ({respondent.household.reference})"
    return str(respondent)


def respondent_greeting(respondent: Respondent) -> str:
    """The name a message opens with: the member's first name, the household contact's name
    for the main person; blank (a general greeting) for other adults."""
    if respondent.group_member is not None:
        return respondent.group_member.first_name
    person = respondent.person
    if respondent.household is not None and (person is None or person.relation == "main"):
        return respondent.household.contact_name
    return ""


def respondent_email(respondent: Respondent) -> str:
    """Where a respondent's link and reminders go: the member's own address, or the household's
    contact address for its adults."""
    if respondent.group_member is not None:
        return respondent.group_member.email or ""
    if respondent.household is not None:
        return respondent.household.contact_email or ""
    return ""


def submitted_response(respondent: Respondent) -> Response | None:
    return respondent.responses.filter(submitted_at__isnull=False).first()


@dataclass
class Tally:
    """Invited, started and submitted respondents for one value (a side, a city, an arm)."""

    key: str
    label: str
    invited: int = 0
    started: int = 0
    submitted: int = 0

    @property
    def rate(self) -> float:
        return self.submitted / self.invited if self.invited else 0.0

    @property
    def percent(self) -> int:
        return round(100 * self.rate)


@dataclass
class Completion:
    total: Tally
    sides: list[Tally] = field(default_factory=list)
    cities: list[Tally] = field(default_factory=list)
    arms: list[Tally] = field(default_factory=list)
    missing: list[Respondent] = field(default_factory=list)


def _status_of(respondent: Respondent) -> str:
    states = [r.submitted_at is not None for r in respondent.responses.all()]
    if any(states):
        return "submitted"
    return "started" if states else "invited"


def wave_completion(*, wave: SurveyWave) -> Completion:
    """Completion of a wave per side, city and trial arm, and who has not answered yet."""
    respondents = list(
        wave.respondents.select_related(
            "city", "group", "group_member", "household", "person"
        ).prefetch_related("responses")
    )
    side_labels = dict(Side.choices)
    arm_labels = dict(TrialArm.choices)
    total = Tally(key="all", label=str(_("All respondents")))
    tallies: dict[str, dict[str, Tally]] = {"side": {}, "city": {}, "arm": {}}
    missing = []
    for respondent in respondents:
        status = _status_of(respondent)
        city_name = respondent.city.name if respondent.city else str(_("No city"))
        keys = {
            "side": (respondent.side, str(side_labels.get(respondent.side, respondent.side))),
            "city": (city_name, city_name),
            "arm": (respondent.trial_arm, str(arm_labels.get(respondent.trial_arm, ""))),
        }
        for dimension, (key, label) in keys.items():
            tally = tallies[dimension].setdefault(key, Tally(key=key, label=label))
            for row in (tally, total) if dimension == "side" else (tally,):
                row.invited += 1
                row.started += status in ("started", "submitted")
                row.submitted += status == "submitted"
        if status != "submitted":
            respondent.status = status  # type: ignore[attr-defined]
            missing.append(respondent)
    order = {code: i for i, code in enumerate(Side.values)}
    return Completion(
        total=total,
        sides=sorted(tallies["side"].values(), key=lambda t: order.get(t.key, 99)),
        cities=sorted(tallies["city"].values(), key=lambda t: t.label),
        arms=sorted(tallies["arm"].values(), key=lambda t: t.key != "treatment"),
        missing=missing,
    )
