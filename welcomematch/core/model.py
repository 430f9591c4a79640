"""Frozen dataclasses exchanged between the core and its callers.

They mirror the round-file contract (``welcomematch.round/1`` and ``welcomematch.result/1``):
a :class:`Round` is what the application or a round file hands to the engine, a
:class:`Result` is what the engine hands back. Everything is keyed by string ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

ROUND_FORMAT = "welcomematch.round/1"
RESULT_FORMAT = "welcomematch.result/1"
DEFAULT_MAX_DISTANCE_KM = 5.0


class Mechanism(StrEnum):
    OPTIMAL = "optimal"
    STABLE = "stable"


class UnmatchedReason(StrEnum):
    """Why a participant ended a round without a partner (the first that applies)."""

    NO_PARTNER_IN_RANGE = "no_partner_in_range"
    VULNERABILITY = "vulnerability"
    EXCLUDED = "excluded"
    PARTNERS_TAKEN = "partners_taken"

    @classmethod
    def first_that_applies(cls, in_range: int, capacity_ok: int, eligible: int) -> UnmatchedReason:
        """The contract's reason for an unmatched participant with ``in_range`` partners
        within distance, ``capacity_ok`` of them passing the vulnerability rule and
        ``eligible`` of those not excluded."""
        if in_range == 0:
            return cls.NO_PARTNER_IN_RANGE
        if capacity_ok == 0:
            return cls.VULNERABILITY
        if eligible == 0:
            return cls.EXCLUDED
        return cls.PARTNERS_TAKEN


@dataclass(frozen=True, slots=True)
class Parameters:
    max_distance_km: float = DEFAULT_MAX_DISTANCE_KM
    mechanism: Mechanism = Mechanism.OPTIMAL
    control_arm: bool = False
    seed: int = 0


@dataclass(frozen=True, slots=True)
class Group:
    id: str
    lat: float
    lon: float
    capacity: int
    type: str
    ranking: tuple[str, ...] = ()
    exclude: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class Household:
    id: str
    lat: float
    lon: float
    vulnerability: int
    type: str
    ranking: tuple[str, ...] = ()
    exclude: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class Round:
    parameters: Parameters
    groups: tuple[Group, ...]
    households: tuple[Household, ...]


@dataclass(frozen=True, slots=True)
class Pair:
    """An assigned pair with its explanation: distance and both ranks."""

    group: str
    household: str
    distance_km: float
    group_rank: int
    household_rank: int


@dataclass(frozen=True, slots=True)
class Unmatched:
    id: str
    reason: UnmatchedReason
    eligible_partners: int


@dataclass(frozen=True, slots=True)
class Summary:
    groups: int
    households: int
    eligible_pairs: int
    matched: int
    controls: int
    preference_cost: int
    total_distance_km: float
    solver: str
    version: str


@dataclass(frozen=True, slots=True)
class Result:
    parameters: Parameters
    matches: tuple[Pair, ...]
    controls: tuple[Pair, ...]
    unmatched_groups: tuple[Unmatched, ...]
    unmatched_households: tuple[Unmatched, ...]
    summary: Summary
