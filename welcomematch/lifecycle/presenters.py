"""Waiting times, figures and warnings in words, for the waiting-times page and the dashboard."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from welcomematch.core.waiting import Alert, to_first_meeting
from welcomematch.intake.models import Household, WelcomeGroup
from welcomematch.lifecycle.models import Match
from welcomematch.lifecycle.selectors import WaitingOverview
from welcomematch.programmes.models import Category, CategoryKind

#: The warning rules of :mod:`welcomematch.core.waiting` in words.
RULE_LABELS = {
    "no_first_meeting": gettext_lazy("No first meeting yet"),
    "low_ratings": gettext_lazy("Two low ratings in a row"),
    "no_checkin": gettext_lazy("No check-in for too long"),
    "waiting_beyond_target": gettext_lazy("Waiting beyond the target"),
}
#: Matches first: the rules about matches, then the one about waiting participants.
RULE_ORDER = ("no_first_meeting", "low_ratings", "no_checkin", "waiting_beyond_target")


def _explain(alert: Alert, overview: WaitingOverview) -> str:
    t = overview.thresholds
    if alert.rule == "no_first_meeting":
        return _("Matched %(days)s days ago; the target is a first meeting within %(limit)s.") % {
            "days": alert.days,
            "limit": t.first_meeting_days,
        }
    if alert.rule == "low_ratings":
        return _("The last two check-ins rated it %(limit)s or lower (out of 5).") % {
            "limit": t.low_rating
        }
    if alert.rule == "no_checkin":
        return _("No check-in for %(days)s days (at most %(limit)s).") % {
            "days": alert.days,
            "limit": t.checkin_gap_days,
        }
    return _("Waiting %(days)s days since the intake; the target is %(limit)s.") % {
        "days": alert.days,
        "limit": t.target_days,
    }


def alert_rows(overview: WaitingOverview) -> list[dict[str, Any]]:
    """Every warning with what it is about (a match or a participant, with a link), matches
    needing attention first. Three queries, none per warning."""
    match_ids = [int(a.subject) for a in overview.alerts if a.rule != "waiting_beyond_target"]
    matches = Match.objects.select_related("group", "household").in_bulk(match_ids)
    people: dict[str, list[int]] = {"group": [], "household": []}
    for a in overview.alerts:
        if a.rule == "waiting_beyond_target":
            side, pk = a.subject.split(" ", 1)
            people[side].append(int(pk))
    groups = WelcomeGroup.objects.in_bulk(people["group"])
    households = Household.objects.in_bulk(people["household"])
    rows = []
    for alert in sorted(overview.alerts, key=lambda a: RULE_ORDER.index(a.rule)):
        if alert.rule == "waiting_beyond_target":
            side, pk = alert.subject.split(" ", 1)
            record: Any = (groups if side == "group" else households).get(int(pk))
            url = reverse(f"web:{side}_detail", args=[int(pk)])
            what = (
                _("Group %(reference)s") if side == "group" else _("Household %(reference)s")
            ) % {"reference": record.reference if record else pk}
        else:
            match = matches.get(int(alert.subject))
            url = reverse("lifecycle:match_detail", args=[int(alert.subject)])
            what = _("Match %(match)s") % {"match": match if match else alert.subject}
        rows.append(
            {
                "rule": alert.rule,
                "label": str(RULE_LABELS[alert.rule]),
                "what": what,
                "url": url,
                "explain": _explain(alert, overview),
                "is_match": alert.rule != "waiting_beyond_target",
            }
        )
    return rows


def longest_rows(overview: WaitingOverview, *, limit: int = 20) -> list[dict[str, Any]]:
    """The longest-waiting participants (still without a first meeting), with links."""
    top = overview.longest[:limit]
    groups = WelcomeGroup.objects.in_bulk([int(p.id) for p, _d in top if p.side == "group"])
    households = Household.objects.in_bulk([int(p.id) for p, _d in top if p.side == "household"])
    rows = []
    for p, days in top:
        record: Any = (groups if p.side == "group" else households).get(int(p.id))
        rows.append(
            {
                "side": _("Group") if p.side == "group" else _("Household"),
                "reference": record.reference if record else p.id,
                "city": p.city,
                "days": days,
                "matched": p.matched,
                "url": reverse(f"web:{p.side}_detail", args=[int(p.id)]),
                "beyond": days > overview.thresholds.target_days,
            }
        )
    return rows


def breakdown_rows(overview: WaitingOverview) -> list[tuple[str, int]]:
    """Breakdowns per end reason, in words, most frequent first."""
    labels = {c.code: c.label for c in Category.objects.filter(kind=CategoryKind.END_REASON)}
    rows = [(labels.get(code, code), n) for code, n in overview.figures.breakdowns.items()]
    return sorted(rows, key=lambda r: (-r[1], r[0]))


#: Waiting-time bins for the distribution chart: (upper bound in days or None, label).
WAIT_BINS = (
    (14, gettext_lazy("up to 2 weeks")),
    (28, gettext_lazy("2–4 weeks")),
    (42, gettext_lazy("4–6 weeks")),
    (56, gettext_lazy("6–8 weeks")),
    (84, gettext_lazy("8–12 weeks")),
    (None, gettext_lazy("over 12 weeks")),
)


def wait_distribution(overview: WaitingOverview) -> tuple[list[str], list[int], list[int]]:
    """Bin labels; how many reached a first meeting within each bin (days from intake); how
    many are still waiting with a wait in each bin."""
    met = [d for days in to_first_meeting(overview.participants).values() for d in days]
    waiting = [d for _p, d in overview.longest]

    def counts(values: list[int]) -> list[int]:
        out = [0] * len(WAIT_BINS)
        for v in values:
            for i, (upper, _label) in enumerate(WAIT_BINS):
                if upper is None or v <= upper:
                    out[i] += 1
                    break
        return out

    return [str(label) for _u, label in WAIT_BINS], counts(met), counts(waiting)
