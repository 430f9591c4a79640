"""Read-only queries behind the dashboard."""

from __future__ import annotations

from dataclasses import dataclass, field

from welcomematch.intake.models import Household, WelcomeGroup
from welcomematch.lifecycle.models import Match, MatchStatus
from welcomematch.programmes.models import City

OPEN_STATUSES = (MatchStatus.PROPOSED, MatchStatus.INTRODUCED)


@dataclass
class StageRow:
    city: str
    groups: dict[str, int] = field(default_factory=dict)
    households: dict[str, int] = field(default_factory=dict)

    @property
    def cells(self) -> list[tuple[str, int, int]]:
        """(stage, groups, households) in the order of :data:`STAGES`."""
        return [(s, self.groups.get(s, 0), self.households.get(s, 0)) for s in STAGES]


STAGES = ("intake_incomplete", "ready", "matched", "active", "ended", "control")


def _stage_of(*, completed: bool, withdrawn: bool, statuses: set[str], control: bool) -> str:
    """The one stage a participant is in; the most advanced applies."""
    if control:
        return "control"
    if MatchStatus.ACTIVE in statuses:
        return "active"
    if statuses & set(OPEN_STATUSES):
        return "matched"
    if withdrawn or statuses & {MatchStatus.ENDED, MatchStatus.COMPLETED}:
        return "ended"
    return "ready" if completed else "intake_incomplete"


def stage_counts_by_city() -> list[StageRow]:
    """Per city, how many groups and households are at each stage of the programme."""
    rows: dict[int, StageRow] = {c.pk: StageRow(city=c.name) for c in City.objects.order_by("name")}
    for row in rows.values():
        row.groups = dict.fromkeys(STAGES, 0)
        row.households = dict.fromkeys(STAGES, 0)
    statuses_by_group: dict[int, set[str]] = {}
    statuses_by_household: dict[int, set[str]] = {}
    for group_id, household_id, status in Match.objects.values_list(
        "group_id", "household_id", "status"
    ):
        statuses_by_group.setdefault(group_id, set()).add(status)
        statuses_by_household.setdefault(household_id, set()).add(status)
    for g in WelcomeGroup.objects.values("pk", "city_id", "intake_completed_at", "withdrawn_at"):
        stage = _stage_of(
            completed=g["intake_completed_at"] is not None,
            withdrawn=g["withdrawn_at"] is not None,
            statuses=statuses_by_group.get(g["pk"], set()),
            control=False,
        )
        rows[g["city_id"]].groups[stage] += 1
    for h in Household.objects.values(
        "pk", "city_id", "intake_completed_at", "withdrawn_at", "control_assignment"
    ):
        stage = _stage_of(
            completed=h["intake_completed_at"] is not None,
            withdrawn=h["withdrawn_at"] is not None,
            statuses=statuses_by_household.get(h["pk"], set()),
            control=h["control_assignment"] is not None,
        )
        rows[h["city_id"]].households[stage] += 1
    return list(rows.values())
