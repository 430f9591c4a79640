"""Array types, the solver's tuning settings and the figures of a solve.

Tuning decides only *how fast* the exact optimum is reached, never *which* optimum: pruning
keeps a label-determined subset of the arcs and certification adds back whatever could
improve the answer, so every :class:`Tuning` gives a lexicographic optimum of the contract.
Within exact ties the solver may return another optimum when the tuning changes (other arc
sets reach the solver), which is why the engine always runs with :data:`DEFAULT_TUNING` and
its version changes whenever the defaults do. Tests pass their own :class:`Tuning` to force
the pruned, repaired, multi-network or worker-process paths on small rounds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from welcomematch.core.eligibility import PART_COMBINATIONS, PARTS_ABOVE

__all__ = [
    "DEFAULT_TUNING",
    "F64",
    "I32",
    "I64",
    "SOLVER_NAME",
    "Bools",
    "Ints",
    "SolveStats",
    "Tuning",
]

I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]
F64 = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.signedinteger[Any]]

SOLVER_NAME = "ortools-min-cost-flow"

#: Finest distance unit of the integer costs, as a power of ten of a km.
FINEST_UNIT_EXP = -9


@dataclass(frozen=True, kw_only=True)
class Tuning:
    """The solver's speed settings, as one value passed down to every step.

    Attributes
    ----------
    prune_above
        Networks with more candidate arcs than this are pruned and certified.
    prune_k
        Cheapest arcs kept per participant when pruning.
    network_arcs
        Small components are solved together until a network has at least this many arcs.
    add_all_below
        Below this many violating arcs, all of them are added back at once.
    pricing_k
        Partial pricing (many violating arcs): each participant's this many most negative.
    near_fraction
        With the violating arcs, also add this fraction (of the arcs just solved) of the
        left-out arcs with the smallest reduced costs: the most likely to violate next.
    repair_below
        Up to this many violating arcs are added to the solved flow and repaired there
        (:mod:`welcomematch.core.flow.repair`) instead of solving the network again.
    solver_process_above
        Parts with at least this many eligible pairs solve their flows through the
        executor's worker process (when it has one), overlapping them with certification.
    in_flight
        Networks open at once when a worker process solves the flows.
    threaded_ranks_above
        Candidate arrays at least this long have their ranks gathered on two threads.
    parts_above
        Rounds of at least this many groups times households are split into parts.
    part_combinations
        Clusters are gathered into parts of at least this many groups times households.
    """

    prune_above: int = 200_000
    prune_k: int = 6
    network_arcs: int = 50_000
    add_all_below: int = 50_000
    pricing_k: int = 12
    near_fraction: float = 0.2
    repair_below: int = 40
    solver_process_above: int = 2_000_000
    in_flight: int = 3
    threaded_ranks_above: int = 4_000_000
    parts_above: int = PARTS_ABOVE
    part_combinations: int = PART_COMBINATIONS


#: The settings every round is run with.
DEFAULT_TUNING = Tuning()


@dataclass(frozen=True)
class SolveStats:
    """How the solver reached its answer (the ``summary.solver`` text).

    ``unit_km`` is the coarsest distance resolution used by any network; ``rounds`` the
    number of solver calls over all networks (a pruned network takes more than one when
    certification had to add arcs back). ``components`` counts the connected components with
    eligible pairs, ``networks`` the networks they were solved in, ``pruned_networks`` those
    solved pruned (keeping ``prune_k`` arcs per participant) and certified.
    """

    unit_km: float = 10.0**FINEST_UNIT_EXP
    pruned: bool = False
    rounds: int = 0
    components: int = 0
    networks: int = 0
    pruned_networks: int = 0
    prune_k: int = DEFAULT_TUNING.prune_k

    @property
    def solver(self) -> str:
        detail = (
            f"distance unit {self.unit_km:g} km, {self.components} component(s)"
            f" in {self.networks} network(s)"
        )
        if self.pruned:
            detail += (
                f", {self.pruned_networks} pruned k={self.prune_k} and certified by reduced costs"
            )
        detail += f", {self.rounds} solve(s)"
        return f"{SOLVER_NAME} ({detail})"

    @staticmethod
    def total(parts: Iterable[SolveStats]) -> SolveStats:
        """The figures of several solves together (the parts of one round)."""
        every = list(parts)
        return SolveStats(
            max((p.unit_km for p in every if p.networks), default=10.0**FINEST_UNIT_EXP),
            any(p.pruned for p in every),
            sum(p.rounds for p in every),
            sum(p.components for p in every),
            sum(p.networks for p in every),
            sum(p.pruned_networks for p in every),
            max((p.prune_k for p in every), default=DEFAULT_TUNING.prune_k),
        )
