"""What a participant's personal page shows, read for one link.

The page speaks to one Welcome Group or one household about its own match. Of the other side
it shows only what the programme shares between them: for a household, the group's name,
its members' first names and its city; for a group, the first name of the household's
contact. Never health, trauma, support needs, vulnerability, origin or anything about other
participants.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from welcomematch.intake.models import Household, WelcomeGroup
from welcomematch.lifecycle.models import (
    OPEN_MATCH_STATUSES,
    ContactPerson,
    CulturalAmbassador,
    JointGoal,
    Match,
    MatchStatus,
)
from welcomematch.participants.models import ParticipantLink, ParticipantLinkQuerySet
from welcomematch.programmes.models import CategoryKind, Programme
from welcomematch.programmes.selectors import category_labels
from welcomematch.surveys.models import Respondent, Response, Side
from welcomematch.tokens import hash_matches, token_hash
from welcomematch.trial.selectors import household_held_in_control

#: Languages the participant pages are offered in now. Arabic or Tigrinya is a matter of
#: adding the code here and a translation catalogue (links store any language code).
PAGE_LANGUAGES: tuple[str, ...] = ("nl", "en")
#: The contact person calls the group every month: the next call is due this long after the
#: last check-in (or after the match started, before the first one).
CHECKIN_EVERY_DAYS = 30

#: One answer for every link that does not open a page (unknown, expired, revoked), so the
#: page does not tell whether a token ever existed.
LINK_NOT_WORKING = _(
    "This link does not work (any more). Links stop working after a while or when a new one "
    "is sent. Please ask your contact person or the programme for a new link."
)

Subject = WelcomeGroup | Household


class LinkRefused(Exception):
    """A personal link that opens no page; always answered the same way (404)."""

    status = 404

    @property
    def message(self) -> str:
        return str(LINK_NOT_WORKING)


def link_for_token(token: str, *, now: datetime | None = None) -> ParticipantLink:
    """The live link a token opens; :class:`LinkRefused` when it is unknown, expired or
    revoked (the same refusal for each)."""
    link = (
        ParticipantLink.objects.live(now=now or timezone.now())
        .select_related("group", "group__programme", "household", "household__programme")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if link is None or not hash_matches(link.token_hash, token):
        raise LinkRefused
    return link


def subject_of(link: ParticipantLink) -> Subject:
    subject = link.group if link.group is not None else link.household
    assert subject is not None
    return subject


def links_of(subject: Subject) -> ParticipantLinkQuerySet:
    """Every link a group or household had, newest first (for the coordinator's block)."""
    field_name = "group" if isinstance(subject, WelcomeGroup) else "household"
    return ParticipantLink.objects.filter(**{field_name: subject}).select_related("created_by")


def live_link_of(subject: Subject, *, now: datetime | None = None) -> ParticipantLink | None:
    return links_of(subject).live(now=now or timezone.now()).first()


def participant_greeting(subject: Subject) -> str:
    """The name a page or a message addresses: the group's name, the household's contact."""
    return subject.name if isinstance(subject, WelcomeGroup) else subject.contact_name


def first_name(full_name: str) -> str:
    """The first word of a name as recorded (a household's contact name)."""
    parts = full_name.split()
    return parts[0] if parts else ""


# --- the page -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Contact:
    """Someone the participant can reach: name, phone and e-mail as stored."""

    name: str
    phone: str = ""
    email: str = ""


@dataclass(frozen=True)
class GoalLine:
    label: str
    description: str
    target_date: date | None
    status: str
    status_label: str


@dataclass(frozen=True)
class OpenSurvey:
    """A survey of a wave still open that this person has not sent yet."""

    respondent_id: int
    name: str
    moment: str
    closes_at: datetime


@dataclass(frozen=True)
class ParticipantPage:
    """Everything one personal page shows (see the module docstring for what it never shows).

    ``situation`` is one of ``matched`` (an open match), ``control`` (a household the
    trial's lottery placed in the control group), ``completed`` (the year is over),
    ``ended`` (the match ended early) or ``waiting``.
    """

    side: str
    programme: Programme
    greeting: str
    situation: str
    match: Match | None = None
    status_label: str = ""
    other_name: str = ""
    other_first_names: tuple[str, ...] = ()
    other_city: str = ""
    first_meeting_at: datetime | None = None
    can_confirm_first_meeting: bool = False
    ambassador: Contact | None = None
    contact_person: Contact | None = None
    programme_contact: Contact | None = None
    goals: list[GoalLine] = field(default_factory=list)
    next_checkin: date | None = None
    control_until: date | None = None
    waiting_since: date | None = None
    surveys: list[OpenSurvey] = field(default_factory=list)


#: The match status in the participants' words.
STATUS_WORDS = {
    MatchStatus.PROPOSED: _("Matched; the first meeting still has to be planned"),
    MatchStatus.INTRODUCED: _("The first meeting is planned"),
    MatchStatus.ACTIVE: _("You have met; the year together is under way"),
    MatchStatus.ENDED: _("The match has ended"),
    MatchStatus.COMPLETED: _("The year together is complete"),
}


def _contact_of(row: CulturalAmbassador | ContactPerson | None) -> Contact | None:
    if row is None:
        return None
    return Contact(name=row.name, phone=row.phone, email=row.email)


def current_match(subject: Subject) -> Match | None:
    """The open match of a group or household, else its latest match (ended or completed)."""
    matches = Match.objects.filter(
        **{"group" if isinstance(subject, WelcomeGroup) else "household": subject}
    ).select_related("group", "group__city", "group__contact_person", "household", "ambassador")
    return matches.open().first() or matches.order_by("-proposed_at", "-id").first()


def open_surveys(subject: Subject, *, now: datetime | None = None) -> list[OpenSurvey]:
    now = now or timezone.now()
    if isinstance(subject, WelcomeGroup):
        respondents = Respondent.objects.filter(group=subject, side=Side.GROUP_MEMBER)
    else:
        respondents = Respondent.objects.filter(household=subject, side=Side.NEWCOMER)
    sent = Response.objects.filter(respondent=OuterRef("pk"), submitted_at__isnull=False)
    rows = (
        respondents.filter(wave__closes_at__gt=now, expires_at__gt=now)
        .exclude(Exists(sent))
        .select_related("wave", "group_member", "person", "household")
        .order_by("wave__closes_at", "id")
    )
    found = []
    for row in rows:
        if row.group_member is not None:
            name = row.group_member.first_name
        elif row.person is None or row.person.relation == "main":
            name = first_name(subject.contact_name) if isinstance(subject, Household) else ""
        else:
            name = str(row.person.get_relation_display())
        found.append(
            OpenSurvey(
                respondent_id=row.pk,
                name=name,
                moment=row.wave.moment,
                closes_at=row.wave.closes_at,
            )
        )
    return found


def _next_checkin(match: Match) -> date | None:
    if match.status != MatchStatus.ACTIVE:
        return None
    last = match.checkins.order_by("-held_on").values_list("held_on", flat=True).first()
    start = last or (timezone.localtime(match.started_at).date() if match.started_at else None)
    if start is None:
        return None
    return max(start + timedelta(days=CHECKIN_EVERY_DAYS), timezone.localdate())


def participant_page(link: ParticipantLink, *, now: datetime | None = None) -> ParticipantPage:
    """What the page of ``link`` shows (read only)."""
    now = now or timezone.now()
    subject = subject_of(link)
    programme = subject.programme
    is_group = isinstance(subject, WelcomeGroup)
    greeting = participant_greeting(subject)
    programme_contact = (
        Contact(name=programme.name, phone=programme.contact_phone, email=programme.contact_email)
        if programme.contact_phone or programme.contact_email
        else None
    )
    group_contact = subject.contact_person if isinstance(subject, WelcomeGroup) else None
    base = ParticipantPage(
        side=link.side,
        programme=programme,
        greeting=greeting,
        situation="waiting",
        programme_contact=programme_contact,
        surveys=open_surveys(subject, now=now),
    )
    match = current_match(subject)
    if match is None or match.status not in OPEN_MATCH_STATUSES:
        if isinstance(subject, Household) and household_held_in_control(subject):
            study = getattr(programme, "study", None)
            return replace(
                base,
                situation="control",
                control_until=study.ends_on if study is not None else None,
            )
        if match is not None:
            return replace(
                base,
                situation=str(match.status),
                match=match,
                status_label=str(STATUS_WORDS[MatchStatus(match.status)]),
                contact_person=_contact_of(group_contact),
            )
        completed = subject.intake_completed_at
        return replace(
            base,
            situation="waiting",
            waiting_since=timezone.localtime(completed).date() if completed else None,
            contact_person=_contact_of(group_contact),
        )
    labels = category_labels(CategoryKind.GOAL)
    goals = [
        GoalLine(
            label=labels(CategoryKind.GOAL, goal.goal),
            description=goal.description,
            target_date=goal.target_date,
            status=goal.status,
            status_label=str(JointGoal.Status(goal.status).label),
        )
        for goal in match.goals.order_by("target_date", "id")
    ]
    if is_group:
        other_name = ""
        other_first_names: tuple[str, ...] = (first_name(match.household.contact_name),)
        other_city = ""
    else:
        other_name = match.group.name
        other_first_names = tuple(match.group.members.values_list("first_name", flat=True))
        other_city = match.group.city.name
    return replace(
        base,
        situation="matched",
        match=match,
        status_label=str(STATUS_WORDS[MatchStatus(match.status)]),
        other_name=other_name,
        other_first_names=other_first_names,
        other_city=other_city,
        first_meeting_at=match.first_meeting_at,
        can_confirm_first_meeting=match.status in (MatchStatus.PROPOSED, MatchStatus.INTRODUCED),
        ambassador=_contact_of(match.ambassador),
        contact_person=_contact_of(match.group.contact_person),
        goals=goals,
        next_checkin=_next_checkin(match),
    )
