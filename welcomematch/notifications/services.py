"""Writers of notifications: each queues its e-mail through the one mail queue
(:mod:`welcomematch.mail.services`), in the recipient's language, and records the event as a
:class:`~welcomematch.notifications.models.Notice` so that nothing is sent twice.

- :func:`invitation_mail`: a group's invitation link, to the address the coordinator chose;
- :func:`proposals_notify`: a new match (confirmed round or a pair made outside a round), to
  the group's contact and the household (control households are told nothing);
- :func:`notifications_daily`: first-meeting reminders, the coordinator reminders of the
  waiting rules (:mod:`welcomematch.core.waiting`: ``no_first_meeting``, ``no_checkin``) and
  the weekly digest; run every day by ``welcomematch send-notifications``.

Mail never carries health, trauma, vulnerability or origin: participants are named by their
own name only to themselves, everyone else by reference.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from welcomematch.accounts.models import User
from welcomematch.accounts.services import audit_record
from welcomematch.core.waiting import Alert
from welcomematch.intake.models import GroupInvitation, Household, WelcomeGroup
from welcomematch.lifecycle.models import OPEN_MATCH_STATUSES, Match
from welcomematch.lifecycle.presenters import RULE_LABELS, RULE_ORDER
from welcomematch.lifecycle.selectors import WaitingOverview, waiting_overview
from welcomematch.mail.services import mail_enqueue, render_message
from welcomematch.notifications import selectors
from welcomematch.notifications.models import Notice, NoticeKind
from welcomematch.programmes.models import Programme

#: A first-meeting reminder goes out this many days before the planned meeting.
FIRST_MEETING_REMINDER_DAYS = 3
#: At most this many lines per list in a digest (the page has the rest).
DIGEST_LINES = 15

TEMPLATES = "notifications/mail"


def _send(
    *,
    to: str,
    template: str,
    context: dict[str, Any],
    language: str,
    purpose: str,
    about: Any,
) -> None:
    rendered = render_message(
        template=f"{TEMPLATES}/{template}", context=context, language=language
    )
    mail_enqueue(
        to=to, rendered=rendered, language=language, purpose=f"notify.{purpose}", about=about
    )


def _claim(*, key: str, kind: NoticeKind, match: Match | None = None) -> Notice | None:
    """Record the event ``key``; ``None`` when it was recorded before (already notified)."""
    if Notice.objects.filter(key=key).exists():
        return None
    try:
        with transaction.atomic():
            return Notice.objects.create(key=key, kind=kind, match=match)
    except IntegrityError:  # recorded meanwhile by a run beside this one
        return None


def _link(base_url: str, name: str, pk: int) -> str:
    return base_url.rstrip("/") + reverse(name, args=[pk])


# --- invitations ----------------------------------------------------------------------------


def invitation_mail(
    *, invitation: GroupInvitation, link: str, to: str, language: str, actor: User | None
) -> None:
    """Queue the invitation link to ``to`` in ``language``; call inside the service that made
    the invitation (the link is known only there)."""
    group = invitation.group
    _send(
        to=to,
        template="invitation",
        context={
            "programme": group.programme.name,
            "name": group.name,
            "link": link,
            "expires_at": invitation.expires_at,
        },
        language=language,
        purpose="invitation",
        about=group,
    )
    notice = _claim(key=f"invitation:{invitation.pk}", kind=NoticeKind.INVITATION)
    if notice is not None:
        notice.messages = 1
        notice.save(update_fields=["messages"])
    audit_record(
        actor=actor,
        action="group.invitation_sent",
        obj=group,
        data={"invitation": invitation.pk, "language": language},
    )


# --- match proposals ------------------------------------------------------------------------


def proposals_notify(*, matches: Sequence[Match], actor: User | None) -> int:
    """Queue the news of new matches: to each group's contact address and to each household
    with an address, each in their own language, with what happens next. A side without an
    address is recorded as unreached: the coordinator's digest lists it. Call inside the
    transaction that made the matches. Returns the number of messages queued."""
    rows = (
        Match.objects.filter(pk__in=[m.pk for m in matches])
        .select_related("group__programme", "group__contact_person", "household", "ambassador")
        .order_by("pk")
    )
    queued = 0
    for match in rows:
        notice = _claim(key=f"proposal:{match.pk}", kind=NoticeKind.PROPOSAL, match=match)
        if notice is None:
            continue
        group, household = match.group, match.household
        contact = group.contact_person
        common = {"programme": group.programme.name, "ambassador": match.ambassador}
        unreached = []
        if group.contact_email:
            _send(
                to=group.contact_email,
                template="proposal_group",
                context={**common, "name": group.name, "contact": contact},
                language=selectors.group_language(group),
                purpose="proposal",
                about=match,
            )
            notice.messages += 1
        else:
            unreached.append("group")
        if household.contact_email:
            _send(
                to=household.contact_email,
                template="proposal_household",
                context={
                    **common,
                    "name": household.contact_name,
                    "wants_ambassador": household.wants_ambassador,
                },
                language=selectors.household_language(household),
                purpose="proposal",
                about=match,
            )
            notice.messages += 1
        else:
            unreached.append("household")
        notice.unreached = unreached
        notice.save(update_fields=["messages", "unreached"])
        queued += notice.messages
    return queued


# --- reminders and the weekly digest ----------------------------------------------------------


@dataclass
class DailyResult:
    first_meeting: int = 0
    no_first_meeting: int = 0
    no_checkin: int = 0
    digests: int = 0
    messages: int = 0


def notifications_daily(
    *, base_url: str, today: date | None = None, programmes: Iterable[Programme] | None = None
) -> DailyResult:
    """Queue today's reminders and, once per ISO week, each coordinator's digest. Each event
    is recorded, in its own transaction with its messages: running this twice sends nothing
    twice."""
    today = today or timezone.localdate()
    result = DailyResult()
    for programme in programmes if programmes is not None else Programme.objects.order_by("pk"):
        overview = waiting_overview(programme=programme, today=today)
        _first_meeting_reminders(programme=programme, today=today, base_url=base_url, result=result)
        for alert in overview.alerts:
            if alert.rule in ("no_first_meeting", "no_checkin"):
                _alert_reminder(
                    alert=alert, overview=overview, today=today, base_url=base_url, result=result
                )
        _digests(programme=programme, overview=overview, base_url=base_url, result=result)
    return result


def _first_meeting_reminders(
    *, programme: Programme, today: date, base_url: str, result: DailyResult
) -> None:
    now = timezone.now()
    until = today + timedelta(days=FIRST_MEETING_REMINDER_DAYS)
    coming = (
        Match.objects.filter(
            household__programme=programme,
            status__in=OPEN_MATCH_STATUSES,
            first_meeting_at__gt=now,
        )
        .select_related("group__programme", "household", "ambassador__user")
        .order_by("first_meeting_at", "pk")
    )
    for match in coming:
        when: datetime = match.first_meeting_at  # type: ignore[assignment]
        if timezone.localtime(when).date() > until:
            continue
        with transaction.atomic():
            key = f"first_meeting:{match.pk}:{timezone.localtime(when).isoformat()}"
            notice = _claim(key=key, kind=NoticeKind.FIRST_MEETING, match=match)
            if notice is None:
                continue
            group, household, ambassador = match.group, match.household, match.ambassador
            context = {"programme": programme.name, "when": when, "ambassador": ambassador}
            recipients: list[tuple[str, str, dict[str, Any]]] = []
            unreached = []
            if group.contact_email:
                recipients.append(
                    (
                        group.contact_email,
                        selectors.group_language(group),
                        {"name": group.name, "group": True},
                    )
                )
            else:
                unreached.append("group")
            if household.contact_email:
                recipients.append(
                    (
                        household.contact_email,
                        selectors.household_language(household),
                        {"name": household.contact_name},
                    )
                )
            else:
                unreached.append("household")
            if ambassador is not None and ambassador.email:
                recipients.append(
                    (
                        ambassador.email,
                        selectors.ambassador_language(ambassador),
                        {
                            "name": ambassador.name,
                            "match": str(match),
                            "link": _link(base_url, "lifecycle:match_detail", match.pk),
                        },
                    )
                )
            for to, language, extra in recipients:
                _send(
                    to=to,
                    template="first_meeting",
                    context={**context, **extra},
                    language=language,
                    purpose="first_meeting",
                    about=match,
                )
            notice.messages = len(recipients)
            notice.unreached = unreached
            notice.save(update_fields=["messages", "unreached"])
            result.first_meeting += 1
            result.messages += len(recipients)


def _alert_reminder(
    *, alert: Alert, overview: WaitingOverview, today: date, base_url: str, result: DailyResult
) -> None:
    """A waiting rule fired for a match: tell the coordinators of its city (and, for a missing
    check-in, its cultural ambassador). One reminder per event: per match for a missing first
    meeting, per last check-in (or first meeting) for a missing check-in."""
    match = (
        Match.objects.select_related("group", "household", "ambassador__user")
        .filter(pk=int(alert.subject))
        .first()
    )
    if match is None:
        return
    if alert.rule == "no_first_meeting":
        kind, key = NoticeKind.NO_FIRST_MEETING, f"no_first_meeting:{match.pk}"
    else:
        last = today - timedelta(days=alert.days or 0)
        kind, key = NoticeKind.NO_CHECKIN, f"no_checkin:{match.pk}:{last.isoformat()}"
    with transaction.atomic():
        notice = _claim(key=key, kind=kind, match=match)
        if notice is None:
            return
        t = overview.thresholds
        context = {
            "match": str(match),
            "rule": alert.rule,
            "days": alert.days,
            "limit": t.first_meeting_days
            if alert.rule == "no_first_meeting"
            else t.checkin_gap_days,
            "link": _link(base_url, "lifecycle:match_detail", match.pk),
        }
        recipients = [
            (user.email, selectors.user_language(user), user.get_full_name() or user.username)
            for user in selectors.coordinators_of(
                programme_id=match.household.programme_id, city_id=match.household.city_id
            )
        ]
        ambassador = match.ambassador
        if alert.rule == "no_checkin" and ambassador is not None and ambassador.email:
            recipients.append(
                (ambassador.email, selectors.ambassador_language(ambassador), ambassador.name)
            )
        for to, language, name in recipients:
            _send(
                to=to,
                template=alert.rule,
                context={**context, "name": name},
                language=language,
                purpose=alert.rule,
                about=match,
            )
        notice.messages = len(recipients)
        notice.save(update_fields=["messages"])
        if alert.rule == "no_first_meeting":
            result.no_first_meeting += 1
        else:
            result.no_checkin += 1
        result.messages += len(recipients)


def week_key(today: date) -> str:
    year, week, _day = today.isocalendar()
    return f"{year}-W{week:02d}"


def digest_content(
    *, user: User, overview: WaitingOverview, base_url: str, programme: Programme
) -> dict[str, Any]:
    """What a coordinator's weekly digest lists, for the cities they see: the warnings of the
    waiting rules, the longest waiting, proposals without a first meeting planned (and whom no
    e-mail reached), and mail that could not be delivered."""
    cities = selectors.user_city_names(user)

    def seen(city: str) -> bool:
        return cities is None or city in cities

    match_city = {m.id: m.city for m in overview.matches}
    person_city = {f"{p.side} {p.id}": p.city for p in overview.participants}
    alerts = [
        a
        for a in overview.alerts
        if seen(
            person_city.get(a.subject, "")
            if a.rule == "waiting_beyond_target"
            else match_city.get(a.subject, "")
        )
    ]
    longest = [(p, days) for p, days in overview.longest if seen(p.city)][:DIGEST_LINES]
    group_ids = [int(p.id) for p, _d in longest if p.side == "group"]
    household_ids = [int(p.id) for p, _d in longest if p.side == "household"]
    for a in alerts:
        if a.rule == "waiting_beyond_target":
            side, pk = a.subject.split(" ", 1)
            (group_ids if side == "group" else household_ids).append(int(pk))
    references = {
        **{
            f"group {pk}": r
            for pk, r in WelcomeGroup.objects.filter(pk__in=group_ids).values_list(
                "pk", "reference"
            )
        },
        **{
            f"household {pk}": r
            for pk, r in Household.objects.filter(pk__in=household_ids).values_list(
                "pk", "reference"
            )
        },
    }
    match_ids = [int(a.subject) for a in alerts if a.rule != "waiting_beyond_target"]
    proposals = [
        m
        for m in selectors.unanswered_proposals(programme=programme)
        if seen(m.household.city.name)
    ]
    match_ids += [m.pk for m in proposals]
    matches = Match.objects.select_related("group", "household").in_bulk(match_ids)
    warning_lines = []
    for a in sorted(alerts, key=lambda a: RULE_ORDER.index(a.rule)):
        if a.rule == "waiting_beyond_target":
            what = references.get(a.subject, a.subject)
            url = _link(
                base_url, f"web:{a.subject.split(' ')[0]}_detail", int(a.subject.split(" ")[1])
            )
        else:
            what = str(matches[int(a.subject)]) if int(a.subject) in matches else a.subject
            url = _link(base_url, "lifecycle:match_detail", int(a.subject))
        warning_lines.append(
            {"rule": RULE_LABELS[a.rule], "what": what, "days": a.days, "url": url}
        )
    today = overview.today
    proposal_lines = []
    for m in proposals:
        unreached = {
            side for n in m.notices.all() if n.kind == NoticeKind.PROPOSAL for side in n.unreached
        }
        proposal_lines.append(
            {
                "what": str(m),
                "days": (today - timezone.localtime(m.proposed_at).date()).days,
                "tell_group": "group" in unreached,
                "tell_household": "household" in unreached,
                "url": _link(base_url, "lifecycle:match_detail", m.pk),
            }
        )
    in_scope = Match.objects.filter(household__programme=programme)
    if cities is not None:
        in_scope = in_scope.filter(household__city__name__in=cities)
    failed = list(
        selectors.failed_mail(
            matches=list(in_scope.values_list("pk", flat=True)),
            groups=list(
                WelcomeGroup.objects.filter(programme=programme)
                .filter(**({"city__name__in": cities} if cities is not None else {}))
                .values_list("pk", flat=True)
            ),
            households=[],
        ).order_by("created_at")[:DIGEST_LINES]
    )
    return {
        "programme": programme.name,
        "name": user.get_full_name() or user.username,
        "cities": sorted(cities) if cities else [],
        "warnings": warning_lines[:DIGEST_LINES],
        "warnings_total": len(warning_lines),
        "longest": [
            {"what": references.get(f"{p.side} {p.id}", p.id), "city": p.city, "days": days}
            for p, days in longest
        ],
        "proposals": proposal_lines[:DIGEST_LINES],
        "proposals_total": len(proposal_lines),
        "failed": [{"to": f.to, "subject": f.subject, "error": f.last_error[:200]} for f in failed],
        "link": base_url.rstrip("/") + reverse("lifecycle:waiting_times"),
    }


def _digests(
    *, programme: Programme, overview: WaitingOverview, base_url: str, result: DailyResult
) -> None:
    week = week_key(overview.today)
    for user in selectors.coordinators_of(programme_id=programme.pk, city_id=None):
        key = f"digest:{user.pk}:{week}"
        if Notice.objects.filter(key=key).exists():
            continue
        content = digest_content(
            user=user, overview=overview, base_url=base_url, programme=programme
        )
        if not (
            content["warnings"] or content["longest"] or content["proposals"] or content["failed"]
        ):
            continue
        with transaction.atomic():
            notice = _claim(key=key, kind=NoticeKind.DIGEST)
            if notice is None:
                continue
            _send(
                to=user.email,
                template="digest",
                context=content,
                language=selectors.user_language(user),
                purpose="digest",
                about=user,
            )
            notice.messages = 1
            notice.save(update_fields=["messages"])
            result.digests += 1
            result.messages += 1
