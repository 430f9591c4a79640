"""Run one matching round: validate, find eligible pairs, solve, explain.

:func:`run_round` is the single entry point of the core's matching engine. It implements the
round-file contract (``welcomematch.round/1`` in, ``welcomematch.result/1`` out):

1. the round is validated (:func:`welcomematch.core.validation.validate_round`) and put
   in canonical order (participants sorted by id), so the order of a file never changes the result;
2. eligible pairs and reach counts come from :mod:`welcomematch.core.eligibility` (for the
   ``optimal`` mechanism, large rounds part by part: see :func:`_run_optimal`);
3. the mechanism solves: ``optimal`` (:mod:`welcomematch.core.optimal`) or ``stable``
   (:mod:`welcomematch.core.stable`);
4. the result lists matches, controls and unmatched participants (with the first applicable
   reason), all sorted by id, and a summary.

``summary.preference_cost`` and ``summary.total_distance_km`` are taken over **all assigned
pairs**, matches and controls alike: that is the quantity the control-arm design minimises
(contract level 3), so an auditor can compare it directly with any other assignment.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

import welcomematch
from welcomematch.core.eligibility import (
    Candidates,
    ReachCounts,
    available_cpus,
    eligibility,
    round_parts,
    sub_round,
)
from welcomematch.core.errors import Infeasible
from welcomematch.core.flow.costs import pair_ranks
from welcomematch.core.flow.tuning import DEFAULT_TUNING, Tuning
from welcomematch.core.model import (
    Mechanism,
    Pair,
    Parameters,
    Result,
    Round,
    Summary,
    Unmatched,
    UnmatchedReason,
)
from welcomematch.core.optimal import PartAnswer, solve_parts, worker_executor
from welcomematch.core.parallel import IN_PROCESS, Executor
from welcomematch.core.validation import validate_round

#: Bumped whenever the engine can return a different result for the same round and seed.
ENGINE_VERSION = 6

STABLE_SOLVER_NAME = "deferred-acceptance (groups propose)"


def engine_version() -> str:
    """The version string stored with every result."""
    return f"{welcomematch.__version__}+engine{ENGINE_VERSION}"


def canonical_round(round: Round) -> Round:
    """The same round with both sides sorted by id (the engine works in this order)."""
    return Round(
        parameters=round.parameters,
        groups=tuple(sorted(round.groups, key=lambda g: g.id)),
        households=tuple(sorted(round.households, key=lambda h: h.id)),
    )


def _unmatched(
    ids: list[str],
    assigned: npt.NDArray[np.bool_],
    in_range: npt.NDArray[np.int64],
    capacity_ok: npt.NDArray[np.int64],
    eligible: npt.NDArray[np.int64],
) -> tuple[Unmatched, ...]:
    return tuple(
        Unmatched(
            ids[i],
            UnmatchedReason.first_that_applies(
                int(in_range[i]), int(capacity_ok[i]), int(eligible[i])
            ),
            int(eligible[i]),
        )
        for i in np.flatnonzero(~assigned).tolist()
    )


def _stable_pairs(round: Round, candidates: Candidates) -> npt.NDArray[np.int64]:
    """Candidate indices of the stable mechanism's pairs (imported lazily: optional module)."""
    from welcomematch.core.stable import solve_stable

    pairs = solve_stable(round, candidates, round.parameters.seed)
    n_h = len(round.households)
    key = candidates.group.astype(np.int64) * n_h + candidates.household
    want = np.asarray([g * n_h + h for g, h in pairs], dtype=np.int64)
    pos = np.searchsorted(key, want)
    if want.shape[0] and (
        np.any(pos >= key.shape[0]) or np.any(key[np.minimum(pos, key.shape[0] - 1)] != want)
    ):
        raise Infeasible("the stable mechanism returned a pair that is not eligible")
    return np.sort(pos)


@dataclass(frozen=True)
class _Assigned:
    """Assigned pairs as arrays, in (group, household) index order, and their counts."""

    group: npt.NDArray[np.int64]
    household: npt.NDArray[np.int64]
    distance_km: npt.NDArray[np.float64]
    group_rank: npt.NDArray[np.int64]
    household_rank: npt.NDArray[np.int64]
    control: npt.NDArray[np.bool_]
    counts: ReachCounts
    eligible_pairs: int


def _pairs(round: Round, assigned: _Assigned, which: npt.NDArray[np.bool_]) -> tuple[Pair, ...]:
    return tuple(
        Pair(round.groups[g].id, round.households[h].id, d, rg, rh)
        for g, h, d, rg, rh in zip(
            assigned.group[which].tolist(),
            assigned.household[which].tolist(),
            assigned.distance_km[which].tolist(),
            assigned.group_rank[which].tolist(),
            assigned.household_rank[which].tolist(),
            strict=True,
        )
    )


def run_round(round: Round, *, tuning: Tuning = DEFAULT_TUNING) -> Result:
    """Run a matching round and explain its result, exactly as the round-file contract says.

    Same round and seed give an identical :class:`Result`, whatever the order of participants.
    The round is validated first (:func:`welcomematch.core.validation.validate_round`, the
    same rules and messages as reading a round file). ``tuning`` changes only how fast
    the optimum is found (tests use it to force the paths of large rounds on small ones).

    Raises
    ------
    InvalidInput
        If the round breaks the contract (the message names the id and the field).
    Infeasible
        If a solver fails on a well-formed round (a bug, never an expected outcome).

    Notes
    -----
    The cyclic garbage collector is left as the caller has it: the command line pauses it
    around reading, matching and writing (:func:`welcomematch.core.runtime.paused_gc`); a
    threaded web server must not, since a pause holds for every thread of the process.
    """
    validate_round(round)
    canon = canonical_round(round)
    params: Parameters = canon.parameters
    if params.mechanism == Mechanism.OPTIMAL:
        assigned, solver = _run_optimal(canon, tuning)
    else:
        candidates, counts = eligibility(canon)
        group_rank, household_rank = pair_ranks(canon, candidates)
        chosen = _stable_pairs(canon, candidates)
        assigned = _Assigned(
            candidates.group[chosen].astype(np.int64),
            candidates.household[chosen].astype(np.int64),
            candidates.distance_km[chosen],
            group_rank[chosen].astype(np.int64),
            household_rank[chosen].astype(np.int64),
            np.zeros(chosen.shape[0], dtype=bool),
            counts,
            len(candidates),
        )
        solver = STABLE_SOLVER_NAME
    return _result(canon, assigned, solver)


def _run_optimal(canon: Round, tuning: Tuning) -> tuple[_Assigned, str]:
    """The ``optimal`` mechanism, part by part (:func:`round_parts`).

    Parts are found, paired and solved on their own (shared between two processes when the
    machine has two), and gathered here.
    """
    params = canon.parameters
    executor: Executor = worker_executor() if available_cpus() >= 2 else IN_PROCESS
    try:
        if len(canon.groups) * len(canon.households) >= tuning.parts_above:
            executor.start()  # the worker starts while the round is split
        splits = round_parts(
            canon, parts_above=tuning.parts_above, part_combinations=tuning.part_combinations
        )
        answer = solve_parts(
            [(sub_round(canon, g, h), g, h) for g, h in splits],
            n_groups=len(canon.groups),
            n_households=len(canon.households),
            seed=params.seed,
            control_arm=params.control_arm,
            tuning=tuning,
            executor=executor,
        )
    finally:
        executor.close()
    return _assigned(canon, splits, answer.parts, answer.control), answer.solver


def _assigned(
    canon: Round,
    splits: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]],
    parts: list[PartAnswer],
    control: list[npt.NDArray[np.bool_]],
) -> _Assigned:
    """Gather the parts' assigned pairs and reach counts into arrays of the whole round."""
    n_g, n_h = len(canon.groups), len(canon.households)
    totals_g = [np.zeros(n_g, dtype=np.int64) for _ in range(3)]
    totals_h = [np.zeros(n_h, dtype=np.int64) for _ in range(3)]
    for (groups, households), part in zip(splits, parts, strict=True):
        c = part.counts
        for total, values in zip(
            totals_g, (c.group_in_range, c.group_capacity_ok, c.group_eligible), strict=True
        ):
            total[groups] = values
        for total, values in zip(
            totals_h,
            (c.household_in_range, c.household_capacity_ok, c.household_eligible),
            strict=True,
        ):
            total[households] = values

    def gather(column: list[Any], dtype: Any) -> Any:
        return np.concatenate([*column, np.zeros(0, dtype=dtype)])

    g = gather([s[0][p.group] for s, p in zip(splits, parts, strict=True)], np.int64)
    h = gather([s[1][p.household] for s, p in zip(splits, parts, strict=True)], np.int64)
    order = np.lexsort((h, g))
    return _Assigned(
        g[order],
        h[order],
        gather([p.distance_km for p in parts], np.float64)[order],
        gather([p.group_rank for p in parts], np.int64)[order],
        gather([p.household_rank for p in parts], np.int64)[order],
        gather(control, np.bool_)[order],
        ReachCounts(*totals_g, *totals_h),
        sum(p.eligible_pairs for p in parts),
    )


def _result(canon: Round, assigned: _Assigned, solver: str) -> Result:
    n_g, n_h = len(canon.groups), len(canon.households)
    counts = assigned.counts
    group_matched = np.zeros(n_g, dtype=bool)
    group_matched[assigned.group[~assigned.control]] = True
    household_assigned = np.zeros(n_h, dtype=bool)
    household_assigned[assigned.household] = True
    matches = _pairs(canon, assigned, ~assigned.control)
    controls = _pairs(canon, assigned, assigned.control)
    unmatched_groups = _unmatched(
        [g.id for g in canon.groups],
        group_matched,
        counts.group_in_range,
        counts.group_capacity_ok,
        counts.group_eligible,
    )
    unmatched_households = _unmatched(
        [h.id for h in canon.households],
        household_assigned,
        counts.household_in_range,
        counts.household_capacity_ok,
        counts.household_eligible,
    )
    summary = Summary(
        groups=n_g,
        households=n_h,
        eligible_pairs=assigned.eligible_pairs,
        matched=len(matches),
        controls=len(controls),
        preference_cost=int((assigned.group_rank + assigned.household_rank).sum()),
        total_distance_km=math.fsum(assigned.distance_km.tolist()),
        solver=solver,
        version=engine_version(),
    )
    return Result(
        parameters=canon.parameters,
        matches=matches,
        controls=controls,
        unmatched_groups=unmatched_groups,
        unmatched_households=unmatched_households,
        summary=summary,
    )
