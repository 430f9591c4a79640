"""Flows solved in a worker process: same answers as in-process, and survives a dead worker."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest

from tests.core.oracle import oracle_levels
from tests.core.test_components import towns
from welcomematch.core import optimal
from welcomematch.core.eligibility import eligible_candidates
from welcomematch.core.engine import canonical_round
from welcomematch.core.errors import Infeasible
from welcomematch.core.flowworker import FlowWorker, WorkerGone
from welcomematch.core.model import Round
from welcomematch.core.optimal import pair_ranks, solve_optimal


def _square(x: int) -> int:
    return x * x


def _fail(message: str) -> None:
    raise Infeasible(message)


def _pid(_: object) -> int:
    return os.getpid()


def test_worker_runs_functions_in_another_process_in_order() -> None:
    worker = FlowWorker()
    try:
        assert [worker.call(_square, n) for n in range(5)] == [0, 1, 4, 9, 16]
        assert worker.call(_pid, None) != os.getpid()
        array = np.arange(1_000_000, dtype=np.int64)
        assert np.array_equal(worker.call(np.negative, array), -array)
    finally:
        worker.close()


def test_worker_sends_back_the_exception_and_keeps_serving() -> None:
    worker = FlowWorker()
    try:
        with pytest.raises(Infeasible, match="no flow"):
            worker.call(_fail, "no flow")
        assert worker.call(_square, 7) == 49
    finally:
        worker.close()


def test_a_dead_worker_raises_worker_gone_and_stays_closed() -> None:
    worker = FlowWorker()
    pid = worker.call(_pid, None)
    os.kill(pid, signal.SIGKILL)
    with pytest.raises(WorkerGone):
        worker.call(_square, 3)
    with pytest.raises(WorkerGone):
        worker.call(_square, 3)
    worker.close()


def _solve(r: Round, *, solver_process: bool, control_arm: bool) -> optimal.OptimalAssignment:
    c = eligible_candidates(r)
    gr, hr = pair_ranks(r, c)
    return solve_optimal(
        r,
        c,
        gr + hr,
        seed=r.parameters.seed,
        control_arm=control_arm,
        prune_above=0,
        network_arcs=1,
        solver_process=solver_process,
    )


def _count_worker_calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    real_call = FlowWorker.call
    calls = {"n": 0}

    def counted(self: FlowWorker, function: object, argument: object) -> object:
        calls["n"] += 1
        return real_call(self, function, argument)  # type: ignore[arg-type]

    monkeypatch.setattr(FlowWorker, "call", counted)
    return calls


@pytest.mark.parametrize("control_arm", [False, True])
@pytest.mark.parametrize("this_process_helps", [False, True])
def test_solving_in_a_worker_process_gives_the_identical_assignment(
    control_arm: bool, this_process_helps: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Many pruned networks, several in flight at once; without help from this process the
    # worker solves every flow, with it some are solved here and some there.
    calls = _count_worker_calls(monkeypatch)
    if not this_process_helps:
        monkeypatch.setattr(optimal._FlowSolver, "help", lambda self: False)
    for seed in range(2):
        r = canonical_round(towns(300 + seed, control_arm=control_arm, groups=120, households=360))
        here = _solve(r, solver_process=False, control_arm=control_arm)
        there = _solve(r, solver_process=True, control_arm=control_arm)
        assert there.networks == here.networks > 3
        assert there.rounds == here.rounds
        assert np.array_equal(there.pairs, here.pairs)
        assert np.array_equal(there.control, here.control)
        want = oracle_levels(r)
        assert there.pairs.shape[0] == want.pairs + (want.doubles if control_arm else 0)
        if not this_process_helps:
            assert calls["n"] == there.rounds + 1  # every flow, and the warm-up
        calls["n"] = 0


def test_flows_fall_back_to_this_process_when_the_worker_dies(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    r = canonical_round(towns(41, control_arm=True, groups=120, households=360))
    expected = _solve(r, solver_process=False, control_arm=True)
    monkeypatch.setattr(optimal._FlowSolver, "help", lambda self: False)
    real_call = FlowWorker.call
    calls = {"n": 0}

    def dying_call(self: FlowWorker, function: object, argument: object) -> object:
        calls["n"] += 1
        if calls["n"] == 3:  # the warm-up, one answer, then the worker dies
            os.kill(real_call(self, _pid, None), signal.SIGKILL)
        return real_call(self, function, argument)  # type: ignore[arg-type]

    monkeypatch.setattr(FlowWorker, "call", dying_call)
    got = _solve(r, solver_process=True, control_arm=True)
    assert calls["n"] >= 3
    assert np.array_equal(got.pairs, expected.pairs)
    assert np.array_equal(got.control, expected.control)


def test_without_a_worker_everything_is_solved_here(monkeypatch: pytest.MonkeyPatch) -> None:
    def cannot_start(self: FlowWorker) -> None:
        raise WorkerGone("no processes here")

    monkeypatch.setattr(FlowWorker, "__init__", cannot_start)
    r = canonical_round(towns(42, control_arm=False, groups=80, households=240))
    assert np.array_equal(
        _solve(r, solver_process=True, control_arm=False).pairs,
        _solve(r, solver_process=False, control_arm=False).pairs,
    )


def test_no_worker_when_the_executable_is_not_a_python_interpreter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sys.executable", "/usr/sbin/uwsgi")
    with pytest.raises(WorkerGone, match="uwsgi"):
        FlowWorker()
