"""The executor: work in a worker process gives the same answers as here, and survives a
dead worker; flows solved there are those solved here."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest

from tests.core.oracle import oracle_levels
from tests.core.test_components import towns
from tests.core.test_optimal import solve_whole
from welcomematch.core.engine import canonical_round
from welcomematch.core.errors import Infeasible
from welcomematch.core.flow.tuning import Tuning
from welcomematch.core.model import Round
from welcomematch.core.optimal import PartsAssignment, worker_executor
from welcomematch.core.parallel import IN_PROCESS, InProcess, WorkerExecutor
from welcomematch.core.worker import Worker, WorkerGone


def _square(x: int) -> int:
    return x * x


def _fail(message: str) -> None:
    raise Infeasible(message)


def _pid(_: object) -> int:
    return os.getpid()


def test_worker_runs_functions_in_another_process_in_order() -> None:
    worker = Worker()
    try:
        assert [worker.call(_square, n) for n in range(5)] == [0, 1, 4, 9, 16]
        assert worker.call(_pid, None) != os.getpid()
        array = np.arange(1_000_000, dtype=np.int64)
        assert np.array_equal(worker.call(np.negative, array), -array)
    finally:
        worker.close()


def test_worker_sends_back_the_exception_and_keeps_serving() -> None:
    worker = Worker()
    try:
        with pytest.raises(Infeasible, match="no flow"):
            worker.call(_fail, "no flow")
        assert worker.call(_square, 7) == 49
    finally:
        worker.close()


def test_a_dead_worker_raises_worker_gone_and_stays_closed() -> None:
    worker = Worker()
    pid = worker.call(_pid, None)
    os.kill(pid, signal.SIGKILL)
    with pytest.raises(WorkerGone):
        worker.call(_square, 3)
    with pytest.raises(WorkerGone):
        worker.call(_square, 3)
    worker.close()


#: Many small pruned networks, their flows solved through the executor.
MANY_FLOWS = Tuning(prune_above=0, network_arcs=1, solver_process_above=0)


class _NoHelp(WorkerExecutor):
    """This process never solves a queued flow itself: the worker solves every one."""

    def help(self) -> bool:
        return False


def _solve(r: Round, executor: WorkerExecutor | InProcess = IN_PROCESS) -> PartsAssignment:
    try:
        return solve_whole(r, MANY_FLOWS, executor)
    finally:
        executor.close()


def _same(a: PartsAssignment, b: PartsAssignment) -> bool:
    [pa], [pb] = a.parts, b.parts
    return (
        np.array_equal(pa.group, pb.group)
        and np.array_equal(pa.household, pb.household)
        and np.array_equal(a.control[0], b.control[0])
    )


def _count_worker_calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    real_call = Worker.call
    calls = {"n": 0}

    def counted(self: Worker, function: object, argument: object) -> object:
        calls["n"] += 1
        return real_call(self, function, argument)  # type: ignore[arg-type]

    monkeypatch.setattr(Worker, "call", counted)
    return calls


@pytest.mark.parametrize("control_arm", [False, True])
@pytest.mark.parametrize("this_process_helps", [False, True])
def test_solving_in_a_worker_process_gives_the_identical_assignment(
    control_arm: bool, this_process_helps: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Many pruned networks, several in flight at once; without help from this process the
    # worker solves every flow, with it some are solved here and some there.
    calls = _count_worker_calls(monkeypatch)
    for seed in range(2):
        r = canonical_round(towns(300 + seed, control_arm=control_arm, groups=120, households=360))
        here = _solve(r)
        assert calls["n"] == 0
        there = _solve(r, worker_executor() if this_process_helps else _NoHelp())
        assert there.stats.networks == here.stats.networks > 3
        assert there.stats.rounds == here.stats.rounds
        assert _same(there, here)
        want = oracle_levels(r)
        assert there.parts[0].group.shape[0] == want.pairs + (want.doubles if control_arm else 0)
        if not this_process_helps:
            assert calls["n"] == there.stats.rounds + 1  # every flow, and the warm-up
        assert calls["n"] > 0
        calls["n"] = 0


def test_flows_fall_back_to_this_process_when_the_worker_dies(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    r = canonical_round(towns(41, control_arm=True, groups=120, households=360))
    expected = _solve(r)
    real_call = Worker.call
    calls = {"n": 0}

    def dying_call(self: Worker, function: object, argument: object) -> object:
        calls["n"] += 1
        if calls["n"] == 3:  # the warm-up, one answer, then the worker dies
            os.kill(real_call(self, _pid, None), signal.SIGKILL)
        return real_call(self, function, argument)  # type: ignore[arg-type]

    monkeypatch.setattr(Worker, "call", dying_call)
    got = _solve(r, _NoHelp())
    assert calls["n"] >= 3
    assert _same(got, expected)


def test_without_a_worker_everything_is_solved_here(monkeypatch: pytest.MonkeyPatch) -> None:
    def cannot_start(self: Worker) -> None:
        raise WorkerGone("no processes here")

    monkeypatch.setattr(Worker, "__init__", cannot_start)
    r = canonical_round(towns(42, control_arm=False, groups=80, households=240))
    executor = worker_executor()
    assert not executor.start()
    assert _same(_solve(r, executor), _solve(r))


def test_no_worker_when_the_executable_is_not_a_python_interpreter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sys.executable", "/usr/sbin/uwsgi")
    with pytest.raises(WorkerGone, match="uwsgi"):
        Worker()


def _fail_on_seven(n: int) -> int:
    if n == 7:
        raise Infeasible("item 7")
    return n


def test_map_shares_items_in_order_and_raises_an_error_of_the_worker() -> None:
    with worker_executor() as executor:
        assert executor.map(_square, list(range(40))) == [n * n for n in range(40)]
        assert executor.parallel
        with pytest.raises(Infeasible, match="item 7"):
            executor.map(_fail_on_seven, list(range(40)))
    assert IN_PROCESS.map(_square, [1, 2, 3]) == [1, 4, 9]


def test_the_executor_imports_nothing_of_the_solver() -> None:
    import ast
    import inspect

    from welcomematch.core import parallel, worker

    for module in (parallel, worker):
        tree = ast.parse(inspect.getsource(module))
        imported = {
            node.module
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module is not None
        }
        core = {name for name in imported if name.startswith("welcomematch")}
        assert core <= {"welcomematch.core.worker", "welcomematch.core.runtime"}, core
