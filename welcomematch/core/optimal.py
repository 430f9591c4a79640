"""The ``optimal`` mechanism: an exact lexicographic optimum by min-cost flow.

Contract (``welcomematch.round/1``), without control arm: among matchings of eligible pairs
(each group and household at most once), maximise the number of pairs, then minimise the
total preference cost ``rank_g(h) + rank_h(g)``, then the total distance. With control arm
(each group up to two households): maximise the groups with at least one household, then the
groups with two, then minimise the total preference cost, then the total distance, over all
assigned pairs. Remaining ties go to the seeded lottery.

How the levels are made exact (each step in its own module)
-----------------------------------------------------------
*Cardinality levels* are not weighted into the cost: the flow value is fixed to the true
maximum, computed first by Hopcroft–Karp (:mod:`welcomematch.core.flow.cardinality`). With
control arm, let ``M1`` be the maximum matching size (group capacity 1) and ``T`` the maximum
assignment size (group capacity 2). The network (:mod:`welcomematch.core.flow.network`) has,
per group, a *first slot* ``source -> group`` (capacity 1) and a *second slot*
``source -> B -> group`` with ``B`` shared and capacity ``T - M1``. An augmenting path never
leaves a covered group uncovered, so some assignment covers ``M1`` groups with ``T`` pairs;
every flow of value ``T`` uses at most ``M1`` first slots and at most ``T - M1`` second slots,
hence exactly ``M1`` groups are covered and ``T - M1`` groups have two households — precisely
lexicographic levels 1 and 2, and every such assignment is a flow of the network.

*Cost levels* are one integer cost per pair, ``pref * W + round(distance_km / unit)``
(:mod:`welcomematch.core.flow.costs`), where ``W`` exceeds the largest possible total of
distance units of any assignment, so no distance saving can ever pay for one unit of
preference cost; differences below ``unit`` km are ties for the lottery.

*Components and networks* (:mod:`welcomematch.core.flow.plan`): the pairs fall into
connected components, solved as networks of whole components; *pruning* (large networks,
:mod:`welcomematch.core.flow.certify`) keeps each participant's cheapest arcs, solves, and
certifies the answer against *all* eligible pairs by reduced costs, adding violating arcs —
a few are repaired into the solved flow (:mod:`welcomematch.core.flow.repair`) — until none
violates, so the answer is exact.

*Parts* (large rounds): :func:`solve_parts` takes a round split into parts that no eligible
pair crosses (:func:`welcomematch.core.eligibility.round_parts`, towns in practice); each part
is paired and solved on its own — in this process or in the executor's worker process
(:mod:`welcomematch.core.parallel`), whichever is free — and its answer depends only on the
part and its participants' labels. A part is handed over with its participants in label
order, so its pairs come out of eligibility already sorted in label space. The speed
settings are one :class:`~welcomematch.core.flow.tuning.Tuning` value.

*Lottery*: groups and households are relabelled by a seeded uniform permutation before the
network is built, and everything (arc order, pruning ties, matchings) is decided in label
space; the solver is deterministic. Participants the rules cannot tell apart are swapped by a
relabelling that is exactly as likely, so they have equal chances across seeds. A separate
seeded fair coin picks treatment and control in every two-household group.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from welcomematch.core.eligibility import ReachCounts, eligibility
from welcomematch.core.flow.costs import pair_ranks
from welcomematch.core.flow.plan import solve_networks
from welcomematch.core.flow.tuning import DEFAULT_TUNING, F64, I64, Bools, SolveStats, Tuning
from welcomematch.core.lottery import fair_coins, random_labels, rng_for
from welcomematch.core.model import Round
from welcomematch.core.parallel import IN_PROCESS, Executor, WorkerExecutor

__all__ = ["PartAnswer", "PartsAssignment", "solve_parts", "worker_executor"]

#: Modules a worker process imports as soon as it starts (those of the work it is handed).
_WORKER_MODULES = ("welcomematch.core.optimal",)


def worker_executor() -> WorkerExecutor:
    """An executor with a worker process for :func:`solve_parts` (started on first need)."""
    return WorkerExecutor(preload=_WORKER_MODULES)


@dataclass(frozen=True)
class PartAnswer:
    """The assigned pairs of one part of a round (:func:`solve_parts`), and its counts.

    ``group``/``household`` are indices into the part's groups and households, sorted by
    (group, household); distance and ranks belong to the same pairs. ``counts`` are the
    part's reach counts, ``eligible_pairs`` its number of eligible pairs; ``stats`` says how
    the solver reached the answer.
    """

    group: I64
    household: I64
    distance_km: F64
    group_rank: I64
    household_rank: I64
    counts: ReachCounts
    eligible_pairs: int
    stats: SolveStats


@dataclass(frozen=True)
class _PartTask:
    """Everything needed to solve one part, anywhere: it pickles to a worker process.

    The part's participants are in lottery order: their positions are their labels.
    """

    round: Round
    tuning: Tuning


def _solve_part(task: _PartTask, executor: Executor = IN_PROCESS) -> PartAnswer:
    """Eligible pairs, ranks and the exact optimum of one part (here or in a worker).

    ``executor`` solves the part's flows (in a worker, a part's flows are solved there).
    """
    part = task.round
    candidates, counts = eligibility(part)
    group_rank, household_rank = pair_ranks(part, candidates, task.tuning)
    found = solve_networks(
        candidates,
        group_rank + household_rank,
        len(part.groups),
        len(part.households),
        control_arm=part.parameters.control_arm,
        tuning=task.tuning,
        executor=executor,
    )
    chosen = found.chosen
    return PartAnswer(
        candidates.group[chosen].astype(np.int64),
        candidates.household[chosen].astype(np.int64),
        candidates.distance_km[chosen],
        group_rank[chosen].astype(np.int64),
        household_rank[chosen].astype(np.int64),
        counts,
        len(candidates),
        found.stats,
    )


@dataclass(frozen=True)
class PartsAssignment:
    """The solver's answer for a round solved part by part (:func:`solve_parts`).

    ``parts[p]`` answers part ``p``; ``control[p]`` says which of its pairs are control
    households; ``stats`` are the figures of all parts together.
    """

    parts: list[PartAnswer]
    control: list[Bools]
    stats: SolveStats

    @property
    def solver(self) -> str:
        return self.stats.solver


def solve_parts(
    parts: Sequence[tuple[Round, I64, I64]],
    *,
    n_groups: int,
    n_households: int,
    seed: int,
    control_arm: bool,
    tuning: Tuning = DEFAULT_TUNING,
    executor: Executor = IN_PROCESS,
) -> PartsAssignment:
    """Exact lexicographic optimum of a round given as parts (see module docstring).

    Parameters
    ----------
    parts
        ``(sub-round, group indices, household indices)`` per part, largest first: together
        the parts hold every eligible pair of the round, no participant is in two parts and
        no eligible pair crosses two (:func:`welcomematch.core.eligibility.round_parts`).
        Each part's pairs are found and solved on its own, so a part's answer depends only
        on the part, never on which process solved it.
    n_groups, n_households
        Sizes of the round (the lottery relabels all its participants at once).
    seed
        The round's lottery seed.
    control_arm
        Whether groups receive up to two households (treatment and control).
    tuning
        Speed settings (:class:`~welcomematch.core.flow.tuning.Tuning`); the optimum is the
        same for every tuning.
    executor
        Where work runs: several parts are shared between this process and the executor's
        worker process (:func:`worker_executor`), whichever is free; a single part solves
        its flows there when it has ``tuning.solver_process_above`` pairs or more. The
        result is the same either way. The caller closes the executor.
    """
    rng = rng_for(seed, "optimal/relabel")
    label_g = random_labels(rng, n_groups)
    label_h = random_labels(rng, n_households)
    # Each part is handed over with its participants in label order (labels 0..n-1): its
    # eligible pairs then come out sorted in label space, with no sort of their own.
    orders = [
        (np.argsort(label_g[groups]), np.argsort(label_h[households]))
        for _, groups, households in parts
    ]
    tasks = [
        _PartTask(
            Round(
                sub.parameters,
                tuple(sub.groups[i] for i in order_g.tolist()),
                tuple(sub.households[j] for j in order_h.tolist()),
            ),
            tuning,
        )
        for (sub, _, _), (order_g, order_h) in zip(parts, orders, strict=True)
    ]
    if len(tasks) == 1:
        solved = [_solve_part(tasks[0], executor)]
    else:  # parts shared with the worker; the flows of each solved where its part is
        solved = executor.map(_solve_part, tasks)
    answers = [
        _in_part_order(a, order_g, order_h)
        for a, (order_g, order_h) in zip(solved, orders, strict=True)
    ]
    control = [np.zeros(a.group.shape[0], dtype=bool) for a in answers]
    if control_arm:
        control = _treatment_coins(parts, answers, n_households, seed)
    return PartsAssignment(answers, control, SolveStats.total(a.stats for a in answers))


def _in_part_order(answer: PartAnswer, order_g: I64, order_h: I64) -> PartAnswer:
    """A part's answer, solved in label order, in the order of the part's participants."""
    group, household = order_g[answer.group], order_h[answer.household]
    order = np.lexsort((household, group))
    counts = answer.counts
    back_g, back_h = np.argsort(order_g), np.argsort(order_h)
    return PartAnswer(
        group[order],
        household[order],
        answer.distance_km[order],
        answer.group_rank[order],
        answer.household_rank[order],
        ReachCounts(
            counts.group_in_range[back_g],
            counts.group_capacity_ok[back_g],
            counts.group_eligible[back_g],
            counts.household_in_range[back_h],
            counts.household_capacity_ok[back_h],
            counts.household_eligible[back_h],
        ),
        answer.eligible_pairs,
        answer.stats,
    )


def _treatment_coins(
    parts: Sequence[tuple[Round, I64, I64]],
    answers: list[PartAnswer],
    n_households: int,
    seed: int,
) -> list[Bools]:
    """Per part, which assigned pairs are controls: one fair coin per group with two.

    The coins are drawn in the order of the groups (then households) of the whole round, so
    they do not depend on how the round was split into parts.
    """
    keys = np.concatenate(
        [
            groups[a.group] * n_households + households[a.household]
            for (_, groups, households), a in zip(parts, answers, strict=True)
        ]
        + [np.zeros(0, np.int64)]
    )
    return _split(_coins(keys, n_households, seed), [a.group.shape[0] for a in answers])


def _coins(keys: I64, n_households: int, seed: int) -> Bools:
    """Control flags of pairs with keys ``group * n_households + household`` (any order)."""
    order = np.argsort(keys, kind="stable")
    groups = keys[order] // max(1, n_households)
    control_sorted = np.zeros(keys.shape[0], dtype=bool)
    if keys.shape[0]:
        first = np.r_[True, groups[1:] != groups[:-1]]
        doubles = np.flatnonzero(~first) - 1  # position of the first of each pair of two
        coins = fair_coins(rng_for(seed, "optimal/treatment-coin"), doubles.shape[0])
        control_sorted[doubles[coins]] = True
        control_sorted[doubles[~coins] + 1] = True
    control = np.empty(keys.shape[0], dtype=bool)
    control[order] = control_sorted
    return control


def _split(values: Bools, sizes: list[int]) -> list[Bools]:
    offsets = np.cumsum([0, *sizes])
    return [values[offsets[p] : offsets[p + 1]] for p in range(len(sizes))]
