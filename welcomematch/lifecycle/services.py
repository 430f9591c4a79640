"""Writers for the match lifecycle: first meeting, start, end with reason, completion,
cultural ambassadors, monthly check-ins and joint goals.

A match moves only through :data:`MATCH_TRANSITIONS`; every move writes an audit event in the
same transaction. Ending a match records the reason and excludes the pair from later rounds,
so both participants can be rematched with someone else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from welcomematch.accounts.models import User
from welcomematch.accounts.services import audit_record
from welcomematch.core.explain import PairVerdict
from welcomematch.i18n import message
from welcomematch.intake.models import Exclusion, Household, WelcomeGroup
from welcomematch.lifecycle.models import (
    OPEN_MATCH_STATUSES,
    CheckIn,
    ContactPerson,
    CulturalAmbassador,
    JointGoal,
    Match,
    MatchSide,
    MatchStatus,
    ParticipantRating,
)
from welcomematch.lifecycle.selectors import available_ambassadors
from welcomematch.matching.selectors import pair_check
from welcomematch.programmes.models import Category, CategoryKind, City, Programme
from welcomematch.transitions import check_transition, transition
from welcomematch.trial import selectors as trial_selectors

MATCH_TRANSITIONS: dict[str, frozenset[str]] = {
    MatchStatus.PROPOSED: frozenset(
        {MatchStatus.INTRODUCED, MatchStatus.ACTIVE, MatchStatus.ENDED}
    ),
    # Planned → planned: the first meeting is moved to another date.
    MatchStatus.INTRODUCED: frozenset(
        {MatchStatus.INTRODUCED, MatchStatus.ACTIVE, MatchStatus.ENDED}
    ),
    MatchStatus.ACTIVE: frozenset({MatchStatus.ENDED, MatchStatus.COMPLETED}),
    MatchStatus.ENDED: frozenset(),
    MatchStatus.COMPLETED: frozenset(),
}

ERR_TRANSITION = _("A match that is %(current)s cannot become %(target)s.")
ERR_END_REASON = _("Choose a reason from the list of end reasons ('%(code)s' is not one).")
ERR_AMBASSADOR_FULL = _("%(name)s already supports %(load)s matches (maximum %(capacity)s).")
ERR_AMBASSADOR_INACTIVE = _("%(name)s is not active.")
ERR_AMBASSADOR_PROGRAMME = _("%(name)s works for another programme.")
ERR_CHECKIN_KEY = _("This form was already used for another match. Reload the page and try again.")
ERR_AMBASSADOR_UNAVAILABLE = _("%(name)s is unavailable until %(until)s.")
ERR_ALREADY_HAS_AMBASSADOR = _(
    "Match %(match)s already has a cultural ambassador (%(name)s); it was given one meanwhile."
)
ERR_DECLINED = _("The household of match %(match)s does not want a cultural ambassador.")
ERR_NOT_OPEN = _("Match %(match)s has ended; it needs no ambassador.")
ERR_NOTHING_CHOSEN = _("Tick at least one match to save.")
ERR_MAXIMUM = _("A maximum must be at least 1.")
ERR_MAXIMUM_TOO_HIGH = _("A maximum must be at most %(limit)s (not %(value)s).")
#: The most matches (ambassadors) or groups (contact persons) one person can support.
HELPER_MAXIMUM = 50
ERR_LANGUAGE = _("'%(code)s' is not in the list of languages.")
ERR_CITY = _("%(city)s is not a city of this programme.")
ERR_LOGIN_TAKEN = _("The login %(username)s already belongs to %(name)s.")
ERR_GOAL = _("Choose a goal from the list of goals ('%(code)s' is not one).")
ERR_MANUAL_REASON = _("Say why this pair is made outside a matching round.")
ERR_BUSY = _("%(reference)s already has an open match.")
ERR_CONTROL = _("%(reference)s is in the control group and stays there for the evaluation.")
ERR_PROGRAMME = _("The group and the household belong to different programmes.")
ERR_NO_LOCATION = _("%(reference)s has no location yet.")
ERR_TOO_FAR = _("They live %(distance)s km apart; the programme allows at most %(limit)s km.")
ERR_TOO_VULNERABLE = _(
    "The household's vulnerability level (%(vulnerability)s) is above the group's capacity (%(capacity)s)."
)
ERR_EXCLUDED = _("This pair is excluded: %(reason)s")
ERR_MATCH_CLOSED = _("This match has ended; nothing can be added to it.")
ERR_FIRST_MEETING_BEFORE_MATCH = _(
    "The date of the first meeting (%(date)s) is before the match was made (%(made)s)."
)
ERR_FIRST_MEETING_TOO_LATE = _(
    "The date of the first meeting (%(date)s) is more than two years ahead; check the year."
)
ERR_CHECKIN_BEFORE_MATCH = _(
    "The date of the check-in (%(date)s) is before the match was made (%(made)s)."
)
ERR_CHECKIN_FUTURE = _(
    "The date of the check-in (%(date)s) lies in the future; record a check-in once it has "
    "taken place."
)
ERR_GOAL_BEFORE_MATCH = _(
    "The target date of the goal (%(date)s) is before the match was made (%(made)s)."
)
ERR_GOAL_TOO_LATE = _(
    "The target date of the goal (%(date)s) is more than two years ahead; check the year."
)

#: How far ahead a first meeting or a goal's target date may be planned (about two years).
PLANNING_HORIZON_DAYS = 730


def _made_on(match: Match) -> date:
    """The day the match was made (proposed), in the local time zone."""
    return timezone.localdate(match.proposed_at)


def _date_words(day: date) -> str:
    return str(formats.date_format(day))


def _check_day(
    *, match: Match, day: date, field: str, before_match: object, too_late: object, latest: date
) -> None:
    """The one date rule of a match's events: on or after the day the match was made and not
    after ``latest`` (today for what took place, the planning horizon for what is planned)."""
    if day < _made_on(match):
        raise ValidationError(
            {field: message(before_match, date=_date_words(day), made=_date_words(_made_on(match)))}
        )
    if day > latest:
        raise ValidationError({field: message(too_late, date=_date_words(day))})


def _horizon() -> date:
    return timezone.localdate() + timedelta(days=PLANNING_HORIZON_DAYS)


def check_first_meeting_date(*, match: Match, when: datetime) -> None:
    """A first meeting lies on or after the day the match was made and at most
    :data:`PLANNING_HORIZON_DAYS` ahead."""
    day = timezone.localdate(when) if timezone.is_aware(when) else when.date()
    _check_day(
        match=match,
        day=day,
        field="when",
        before_match=ERR_FIRST_MEETING_BEFORE_MATCH,
        too_late=ERR_FIRST_MEETING_TOO_LATE,
        latest=_horizon(),
    )


def check_checkin_date(*, match: Match, held_on: date) -> None:
    """A check-in took place on or after the day the match was made, and not in the future."""
    _check_day(
        match=match,
        day=held_on,
        field="held_on",
        before_match=ERR_CHECKIN_BEFORE_MATCH,
        too_late=ERR_CHECKIN_FUTURE,
        latest=timezone.localdate(),
    )


def check_first_meeting_held(*, match: Match, met_on: date) -> None:
    """A first meeting that took place did so on or after the day the match was made, and not
    in the future."""
    _check_day(
        match=match,
        day=met_on,
        field="met_on",
        before_match=ERR_MEETING_BEFORE_MATCH,
        too_late=ERR_MEETING_FUTURE,
        latest=timezone.localdate(),
    )


def check_goal_date(*, match: Match, target_date: date | None) -> None:
    """A goal's target date (optional) lies on or after the day the match was made and at
    most :data:`PLANNING_HORIZON_DAYS` ahead."""
    if target_date is None:
        return
    _check_day(
        match=match,
        day=target_date,
        field="target_date",
        before_match=ERR_GOAL_BEFORE_MATCH,
        too_late=ERR_GOAL_TOO_LATE,
        latest=_horizon(),
    )


ERR_MEETING_FUTURE = _("The first meeting cannot be in the future (%(date)s).")
ERR_MEETING_BEFORE_MATCH = _(
    "The first meeting (%(date)s) cannot be before the match was made (%(made)s)."
)
ERR_RATING = _("Choose how it is going: a number from 1 to 5.")
ERR_RATING_KEY = _("This form was already used for another match. Reload the page and try again.")
ERR_SIDE = _("Unknown side of a match: %(side)s.")


def _move(
    *, match: Match, target: MatchStatus, actor: User | None, data: dict[str, object]
) -> Match:
    current = transition(record=match, table=MATCH_TRANSITIONS, target=target, error=ERR_TRANSITION)
    match.full_clean()
    match.save()
    audit_record(
        actor=actor,
        action=f"match.{target.value}",
        obj=match,
        data={"from": current, "to": target.value, **data},
    )
    return match


def _locked(match: Match) -> Match:
    return Match.objects.select_for_update().select_related("group", "household").get(pk=match.pk)


@transaction.atomic
def match_create(
    *, group: WelcomeGroup, household: Household, reason: str, actor: User | None
) -> Match:
    """Pair a group and a household directly, outside a round (e.g. rematching after a
    breakdown). The round's hard rules still hold: both free, within the programme's distance,
    vulnerability within capacity, not excluded; the reason goes into the audit trail.
    """
    if not reason.strip():
        raise ValidationError({"reason": ERR_MANUAL_REASON})
    group = WelcomeGroup.objects.select_for_update().get(pk=group.pk)
    household = Household.objects.select_for_update().get(pk=household.pk)
    if group.programme_id != household.programme_id:
        raise ValidationError(ERR_PROGRAMME)
    for reference, busy in (
        (group.reference, Match.objects.open().filter(group=group).exists()),
        (household.reference, Match.objects.open().filter(household=household).exists()),
    ):
        if busy:
            raise ValidationError(message(ERR_BUSY, reference=reference))
    if trial_selectors.household_held_in_control(household):
        raise ValidationError(message(ERR_CONTROL, reference=household.reference))
    for row in (group, household):
        if row.latitude is None or row.longitude is None:
            raise ValidationError(message(ERR_NO_LOCATION, reference=row.reference))
    check = pair_check(
        group=group, household=household, max_distance_km=group.programme.max_distance_km
    )
    if check.verdict is PairVerdict.OUT_OF_RANGE:
        raise ValidationError(
            message(
                ERR_TOO_FAR,
                distance=f"{check.distance_km:.1f}",
                limit=f"{check.max_distance_km:g}",
            )
        )
    if check.verdict is PairVerdict.VULNERABILITY:
        raise ValidationError(
            message(ERR_TOO_VULNERABLE, vulnerability=check.vulnerability, capacity=check.capacity)
        )
    if check.verdict is PairVerdict.EXCLUDED:
        exclusion = Exclusion.objects.get(group=group, household=household)
        raise ValidationError(message(ERR_EXCLUDED, reason=exclusion.reason))
    distance = check.distance_km
    match = Match(
        group=group, household=household, status=MatchStatus.PROPOSED, distance_km=distance
    )
    match.full_clean()
    match.save()
    audit_record(
        actor=actor,
        action="match.proposed",
        obj=match,
        data={"status": MatchStatus.PROPOSED, "outside_round": True, "reason": reason.strip()},
    )
    from welcomematch.notifications.services import proposals_notify

    proposals_notify(matches=[match], actor=actor)
    return match


@transaction.atomic
def match_plan_first_meeting(*, match: Match, when: datetime, actor: User | None) -> Match:
    """Record the date of the first meeting of group and household; a planned first meeting
    can be moved (planned → planned), audited with the old and the new date."""
    match = _locked(match)
    check_transition(
        record=match, table=MATCH_TRANSITIONS, target=MatchStatus.INTRODUCED, error=ERR_TRANSITION
    )
    check_first_meeting_date(match=match, when=when)
    if match.status == MatchStatus.INTRODUCED:
        before = match.first_meeting_at
        match.first_meeting_at = when
        match.full_clean()
        match.save(update_fields=["first_meeting_at"])
        audit_record(
            actor=actor,
            action="match.first_meeting_moved",
            obj=match,
            data={"from": before.isoformat() if before else None, "to": when.isoformat()},
        )
        return match
    match.first_meeting_at = when
    return _move(
        match=match,
        target=MatchStatus.INTRODUCED,
        actor=actor,
        data={"first_meeting_at": when.isoformat()},
    )


@transaction.atomic
def match_confirm_first_meeting(
    *, match: Match, side: str, met_on: date, actor: User | None = None
) -> tuple[Match, bool]:
    """A participant (``side``) confirms that the first meeting took place on ``met_on``:
    the match moves on through its transitions to active (via first meeting planned when
    it was only proposed), its year starting that day. Returns the match and whether this
    call confirmed it: confirming an active match again changes nothing (a form sent twice
    records one confirmation)."""
    if side not in MatchSide.values:
        raise ValidationError(message(ERR_SIDE, side=side))
    match = _locked(match)
    _open(match)
    if match.status == MatchStatus.ACTIVE:
        return match, False
    check_first_meeting_held(match=match, met_on=met_on)
    when = min(timezone.make_aware(datetime.combine(met_on, time(12))), timezone.now())
    match.first_meeting_at = when
    data: dict[str, object] = {"first_meeting_at": when.isoformat(), "confirmed_by": side}
    if match.status == MatchStatus.PROPOSED:
        _move(match=match, target=MatchStatus.INTRODUCED, actor=actor, data=data)
    match.started_at = when
    _move(match=match, target=MatchStatus.ACTIVE, actor=actor, data=data)
    return match, True


@transaction.atomic
def match_rate(
    *,
    match: Match,
    side: str,
    rating: int,
    comment: str = "",
    actor: User | None = None,
    submission_key: UUID | None = None,
) -> ParticipantRating:
    """A participant says how the match is going (1-5, an optional comment); a form sent
    twice (same ``submission_key``) records one rating."""
    if side not in MatchSide.values:
        raise ValidationError(message(ERR_SIDE, side=side))
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValidationError({"rating": ERR_RATING})
    match = _locked(match)
    if submission_key is not None:
        earlier = ParticipantRating.objects.filter(submission_key=submission_key).first()
        if earlier is not None:
            if earlier.match_id != match.pk:
                raise ValidationError(ERR_RATING_KEY)
            return earlier
    _open(match)
    row = ParticipantRating(
        match=match,
        side=side,
        rating=rating,
        comment=comment.strip(),
        submission_key=submission_key,
    )
    row.full_clean()
    row.save()
    audit_record(
        actor=actor,
        action="match.participant_rating",
        obj=match,
        data={"rating_id": row.pk, "side": side, "rating": rating, "comment": bool(row.comment)},
    )
    return row


@transaction.atomic
def match_start(*, match: Match, actor: User | None, started_at: datetime | None = None) -> Match:
    """The match is on: the year of the match starts now (or at ``started_at``)."""
    match = _locked(match)
    match.started_at = started_at or timezone.now()
    return _move(
        match=match,
        target=MatchStatus.ACTIVE,
        actor=actor,
        data={"started_at": match.started_at.isoformat()},
    )


@transaction.atomic
def match_end(*, match: Match, reason: str, note: str, actor: User | None) -> Match:
    """End a match early with a reason from the list; the pair is excluded from later rounds."""
    if not Category.objects.filter(kind=CategoryKind.END_REASON, code=reason).exists():
        raise ValidationError({"end_reason": message(ERR_END_REASON, code=reason)})
    match = _locked(match)
    match.ended_at = timezone.now()
    match.end_reason = reason
    match.end_note = note
    _move(match=match, target=MatchStatus.ENDED, actor=actor, data={"reason": reason})
    Exclusion.objects.get_or_create(
        group=match.group,
        household=match.household,
        defaults={
            "reason": f"Match ended ({reason}).",
            "created_by": actor if actor is not None and actor.pk else None,
        },
    )
    return match


@transaction.atomic
def match_complete(*, match: Match, actor: User | None) -> Match:
    """The year is over: the match completed as planned."""
    match = _locked(match)
    match.ended_at = timezone.now()
    return _move(match=match, target=MatchStatus.COMPLETED, actor=actor, data={})


@transaction.atomic
def match_assign_ambassador(
    *, match: Match, ambassador: CulturalAmbassador | None, actor: User | None
) -> Match:
    """Give a match a cultural ambassador (or take it away with ``None``)."""
    match = _locked(match)
    if ambassador is not None and not match.household.wants_ambassador:
        raise ValidationError({"ambassador": message(ERR_DECLINED, match=str(match))})
    if ambassador is not None:
        ambassador = CulturalAmbassador.objects.select_for_update().get(pk=ambassador.pk)
        if not ambassador.active:
            raise ValidationError(
                {"ambassador": message(ERR_AMBASSADOR_INACTIVE, name=ambassador.name)}
            )
        if not available_ambassadors(programme=None, today=timezone.localdate()).filter(
            pk=ambassador.pk
        ):
            raise ValidationError(
                {
                    "ambassador": message(
                        ERR_AMBASSADOR_UNAVAILABLE,
                        name=ambassador.name,
                        until=formats.date_format(
                            ambassador.unavailable_until or timezone.localdate()
                        ),
                    )
                }
            )
        if ambassador.programme_id != match.household.programme_id:
            raise ValidationError(
                {"ambassador": message(ERR_AMBASSADOR_PROGRAMME, name=ambassador.name)}
            )
        load = ambassador.matches.open().exclude(pk=match.pk).count()
        if load >= ambassador.capacity:
            raise ValidationError(
                {
                    "ambassador": message(
                        ERR_AMBASSADOR_FULL,
                        name=ambassador.name,
                        load=load,
                        capacity=ambassador.capacity,
                    )
                }
            )
    before = match.ambassador_id
    match.ambassador = ambassador
    match.save(update_fields=["ambassador"])
    audit_record(
        actor=actor,
        action="match.ambassador_assigned",
        obj=match,
        data={"before": before, "after": ambassador.pk if ambassador else None},
    )
    return match


def _open(match: Match) -> None:
    if not match.is_open:
        raise ValidationError(ERR_MATCH_CLOSED, code="match_closed")


@transaction.atomic
def checkin_record(
    *,
    match: Match,
    held_on: date,
    actor: User | None,
    mode: str = CheckIn.Mode.CALL,
    meetings_since_last: int | None = None,
    satisfaction: int | None = None,
    concern: bool = False,
    notes: str = "",
    submission_key: UUID | None = None,
) -> CheckIn:
    """Record a monthly check-in; a form sent twice (same ``submission_key``) records one."""
    match = _locked(match)
    if submission_key is not None:
        # The match row is locked: a second submission of the same form waits here for the
        # first to commit, then finds its check-in.
        earlier = CheckIn.objects.filter(submission_key=submission_key).first()
        if earlier is not None:
            if earlier.match_id != match.pk:
                raise ValidationError(ERR_CHECKIN_KEY)
            return earlier
    _open(match)
    check_checkin_date(match=match, held_on=held_on)
    checkin = CheckIn(
        submission_key=submission_key,
        match=match,
        held_on=held_on,
        mode=mode,
        author=actor if actor is not None and actor.pk else None,
        meetings_since_last=meetings_since_last,
        satisfaction=satisfaction,
        concern=concern,
        notes=notes,
    )
    checkin.full_clean()
    checkin.save()
    audit_record(
        actor=actor,
        action="match.checkin",
        obj=match,
        data={"checkin": checkin.pk, "concern": concern, "satisfaction": satisfaction},
    )
    return checkin


@transaction.atomic
def goal_add(
    *,
    match: Match,
    goal: str,
    actor: User | None,
    description: str = "",
    target_date: date | None = None,
) -> JointGoal:
    """Add a joint goal the group and household agreed on."""
    match = _locked(match)
    _open(match)
    if not Category.objects.filter(kind=CategoryKind.GOAL, code=goal).exists():
        raise ValidationError({"goal": message(ERR_GOAL, code=goal)})
    check_goal_date(match=match, target_date=target_date)
    row = JointGoal(match=match, goal=goal, description=description, target_date=target_date)
    row.full_clean()
    row.save()
    audit_record(
        actor=actor, action="match.goal_added", obj=match, data={"goal": goal, "id": row.pk}
    )
    return row


@transaction.atomic
def goal_set_status(*, goal: JointGoal, status: JointGoal.Status, actor: User | None) -> JointGoal:
    before = goal.status
    goal.status = status
    goal.full_clean()
    goal.save()
    audit_record(
        actor=actor,
        action="match.goal_status",
        obj=goal.match,
        data={"goal": goal.pk, "from": before, "to": status.value},
    )
    return goal


# --- cultural ambassadors and contact persons ---------------------------------------------


@dataclass(frozen=True)
class HelperData:
    """What a coordinator fills in for an ambassador or a contact person."""

    name: str
    languages: tuple[str, ...] = ()
    cities: tuple[City, ...] = ()
    capacity: int = 4
    active: bool = True
    unavailable_until: date | None = None
    email: str = ""
    phone: str = ""
    user: User | None = None
    extra: dict[str, object] = field(default_factory=dict)


Helper = CulturalAmbassador | ContactPerson


def _helper_save(
    *, row: Helper, programme: Programme, data: HelperData, actor: User | None, action: str
) -> Helper:
    known = set(Category.objects.filter(kind=CategoryKind.LANGUAGE).values_list("code", flat=True))
    for code in data.languages:
        if code not in known:
            raise ValidationError({"languages": message(ERR_LANGUAGE, code=code)})
    for city in data.cities:
        if city.programme_id != programme.pk:
            raise ValidationError({"cities": message(ERR_CITY, city=city.name)})
    if data.capacity < 1:
        raise ValidationError({"capacity": ERR_MAXIMUM})
    if data.capacity > HELPER_MAXIMUM:
        raise ValidationError(
            {"capacity": message(ERR_MAXIMUM_TOO_HIGH, limit=HELPER_MAXIMUM, value=data.capacity)}
        )
    if data.user is not None:
        holder = type(row).objects.filter(user=data.user).exclude(pk=row.pk).first()
        if holder is not None:
            raise ValidationError(
                {"user": message(ERR_LOGIN_TAKEN, username=data.user.username, name=holder.name)}
            )
    before = {
        "name": row.name,
        "languages": list(row.languages),
        "cities": sorted(c.pk for c in row.cities.all()) if row.pk else [],
        "capacity": row.capacity,
        "active": row.active,
        "unavailable_until": row.unavailable_until.isoformat() if row.unavailable_until else None,
        "user": row.user_id,
    }
    row.programme = programme
    row.name = data.name.strip()
    row.languages = list(data.languages)
    row.capacity = data.capacity
    row.active = data.active
    row.unavailable_until = data.unavailable_until
    row.email = data.email
    row.phone = data.phone
    row.user = data.user
    row.full_clean()
    row.save()
    row.cities.set(data.cities)
    after = {
        "name": row.name,
        "languages": list(row.languages),
        "cities": sorted(c.pk for c in data.cities),
        "capacity": row.capacity,
        "active": row.active,
        "unavailable_until": row.unavailable_until.isoformat() if row.unavailable_until else None,
        "user": row.user_id,
    }
    changed = {k: {"from": before[k], "to": v} for k, v in after.items() if before[k] != v}
    audit_record(actor=actor, action=action, obj=row, data={"changed": changed})
    return row


@transaction.atomic
def ambassador_create(
    *, programme: Programme, data: HelperData, actor: User | None
) -> CulturalAmbassador:
    """Add a cultural ambassador to the programme."""
    row = _helper_save(
        row=CulturalAmbassador(),
        programme=programme,
        data=data,
        actor=actor,
        action="ambassador.created",
    )
    assert isinstance(row, CulturalAmbassador)
    return row


@transaction.atomic
def ambassador_update(
    *, ambassador: CulturalAmbassador, data: HelperData, actor: User | None
) -> CulturalAmbassador:
    """Change an ambassador's details, languages, cities, maximum or availability.

    A lower maximum than the current load is allowed (nobody is taken away); the ambassador
    simply gets no new matches until the load is below it.
    """
    row = CulturalAmbassador.objects.select_for_update().get(pk=ambassador.pk)
    saved = _helper_save(
        row=row, programme=row.programme, data=data, actor=actor, action="ambassador.changed"
    )
    assert isinstance(saved, CulturalAmbassador)
    return saved


@transaction.atomic
def contact_person_create(
    *, programme: Programme, data: HelperData, actor: User | None
) -> ContactPerson:
    """Add a contact person (monthly check-in calls) to the programme."""
    row = _helper_save(
        row=ContactPerson(),
        programme=programme,
        data=data,
        actor=actor,
        action="contact_person.created",
    )
    assert isinstance(row, ContactPerson)
    return row


@transaction.atomic
def contact_person_update(
    *, contact_person: ContactPerson, data: HelperData, actor: User | None
) -> ContactPerson:
    """Change a contact person's details, languages, cities, maximum or availability."""
    row = ContactPerson.objects.select_for_update().get(pk=contact_person.pk)
    saved = _helper_save(
        row=row, programme=row.programme, data=data, actor=actor, action="contact_person.changed"
    )
    assert isinstance(saved, ContactPerson)
    return saved


@transaction.atomic
def ambassadors_assign(
    *,
    programme: Programme,
    assignments: Sequence[tuple[Match, CulturalAmbassador]],
    actor: User | None,
) -> list[Match]:
    """Give many matches an ambassador at once (the accepted suggestions): all or nothing.

    Under lock, every match must still be open, of the programme, without an ambassador and
    wanting one; every ambassador available and of the programme; and no ambassador may end
    above their maximum counting the matches they already have. Each match gets its own
    audit event.
    """
    if not assignments:
        raise ValidationError(ERR_NOTHING_CHOSEN)
    match_ids = sorted({m.pk for m, _a in assignments})
    ambassador_ids = sorted({a.pk for _m, a in assignments})
    # Lock in a fixed order (ambassadors, then matches) so concurrent saves cannot deadlock.
    ambassadors = {
        a.pk: a
        for a in CulturalAmbassador.objects.select_for_update()
        .filter(pk__in=ambassador_ids)
        .order_by("pk")
    }
    matches = {
        m.pk: m
        for m in Match.objects.select_for_update()
        .filter(pk__in=match_ids)
        .select_related("household", "group")
        .order_by("pk")
    }
    available = set(
        available_ambassadors(programme=programme, today=timezone.localdate())
        .filter(pk__in=ambassador_ids)
        .values_list("pk", flat=True)
    )
    loads = dict(
        Match.objects.filter(ambassador_id__in=ambassador_ids, status__in=OPEN_MATCH_STATUSES)
        .values_list("ambassador_id")
        .annotate(n=models.Count("pk"))
        .values_list("ambassador_id", "n")
    )
    done: list[Match] = []
    for given, chosen in assignments:
        match = matches[given.pk]
        ambassador = ambassadors[chosen.pk]
        reference = str(match)
        if match.household.programme_id != programme.pk:
            raise ValidationError(ERR_PROGRAMME)
        if match.status not in OPEN_MATCH_STATUSES:
            raise ValidationError(message(ERR_NOT_OPEN, match=reference))
        if match.ambassador_id is not None:
            current = CulturalAmbassador.objects.get(pk=match.ambassador_id)
            raise ValidationError(
                message(ERR_ALREADY_HAS_AMBASSADOR, match=reference, name=current.name)
            )
        if not match.household.wants_ambassador:
            raise ValidationError(message(ERR_DECLINED, match=reference))
        if ambassador.programme_id != programme.pk:
            raise ValidationError(message(ERR_AMBASSADOR_PROGRAMME, name=ambassador.name))
        if not ambassador.active:
            raise ValidationError(message(ERR_AMBASSADOR_INACTIVE, name=ambassador.name))
        if ambassador.pk not in available:
            raise ValidationError(
                message(
                    ERR_AMBASSADOR_UNAVAILABLE,
                    name=ambassador.name,
                    until=formats.date_format(ambassador.unavailable_until or timezone.localdate()),
                )
            )
        load = loads.get(ambassador.pk, 0)
        if load >= ambassador.capacity:
            raise ValidationError(
                message(
                    ERR_AMBASSADOR_FULL,
                    name=ambassador.name,
                    load=load,
                    capacity=ambassador.capacity,
                )
            )
        loads[ambassador.pk] = load + 1
        match.ambassador = ambassador
        match.save(update_fields=["ambassador"])
        audit_record(
            actor=actor,
            action="match.ambassador_assigned",
            obj=match,
            data={"before": None, "after": ambassador.pk, "suggested": True},
        )
        done.append(match)
    return done
