"""Benchmark the matching engine: eligibility, solve, whole process, memory, and an ILP.

Usage (from the repository root)::

    PYTHONPATH=. python bench/matching.py                 # every size
    PYTHONPATH=. python bench/matching.py --sizes pilot,city --ilp-budget 60

For each size, with and without control arm, it prints: eligible pairs, eligibility seconds,
engine seconds (``run_round``: validation, eligibility, solve, explanation), the solve share
(engine minus eligibility; rounds solved in parts find each part's pairs inside the engine,
beside the other process's solving, so for them it is the engine's time beyond one eligibility
pass), the peak resident memory of a fresh process running the engine, the whole
``python -m welcomematch match ROUND.json -o OUT.json`` process (wall seconds and peak memory)
when that command exists, and an exact HiGHS ILP (``scipy.optimize.milp``, lexicographic by
sequential solves) with its time, the speed ratio and whether both reach the same optimum.
Each measurement runs in its own subprocess so peak memory is per run. Rounds come from
:func:`welcomematch.core.generate.generate_round` (seeded, so figures are reproducible).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

#: name: (groups, households, cities)
SIZES: dict[str, tuple[int, int, int]] = {
    "pilot": (42, 100, 1),
    "city": (500, 1500, 1),
    "region": (5000, 15000, 10),
    "national": (20000, 60000, 40),
}
#: The ILP is only attempted up to this size; above, it is reported as skipped.
ILP_SIZES = ("pilot", "city", "region")
SEED = 20200601


def _round(size: str, control_arm: bool) -> Any:
    from welcomematch.core.generate import generate_round

    groups, households, cities = SIZES[size]
    return generate_round(
        groups=groups, households=households, cities=cities, seed=SEED, control_arm=control_arm
    )


def _levels_of_result(result: Any) -> tuple[int, int, int, float]:
    assigned = [*result.matches, *result.controls]
    return (
        len(result.matches),
        len(result.controls),
        sum(p.group_rank + p.household_rank for p in assigned),
        float(sum(p.distance_km for p in assigned)),
    )


def worker_engine(size: str, control_arm: bool) -> dict[str, Any]:
    """Generate, then time eligibility and the whole engine (in this fresh process)."""
    import resource

    from welcomematch.core.eligibility import eligibility
    from welcomematch.core.engine import canonical_round, run_round

    r = _round(size, control_arm)
    t = time.perf_counter()
    candidates, _ = eligibility(canonical_round(r))
    t_elig = time.perf_counter() - t
    n_pairs = len(candidates)
    del candidates
    from welcomematch.core.runtime import paused_gc

    t = time.perf_counter()
    with paused_gc():  # as the command line runs it
        result = run_round(r)
    t_run = time.perf_counter() - t
    return {
        "pairs": n_pairs,
        "elig_s": t_elig,
        "run_s": t_run,
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "levels": _levels_of_result(result),
        "solver": result.summary.solver,
    }


def worker_ilp(size: str, control_arm: bool, budget: float) -> dict[str, Any]:
    """The same lexicographic optimum by sequential HiGHS ILP solves (or a timeout)."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import csr_array, hstack, vstack

    from welcomematch.core.eligibility import eligibility
    from welcomematch.core.engine import canonical_round
    from welcomematch.core.flow.costs import pair_ranks

    r = canonical_round(_round(size, control_arm))
    c, _ = eligibility(r)
    gr, hr = pair_ranks(r, c)
    pref = (gr + hr).astype(float)
    dist = c.distance_km
    m, n_g, n_h = len(c), len(r.groups), len(r.households)
    ones = np.ones(m)
    a_g = csr_array((ones, (c.group, np.arange(m))), shape=(n_g, m))
    a_h = csr_array((ones, (c.household, np.arange(m))), shape=(n_h, m))
    start = time.perf_counter()
    deadline = start + budget

    def solve(obj: np.ndarray, a: Any, lo: np.ndarray, hi: np.ndarray) -> float | None:
        left = deadline - time.perf_counter()
        if left <= 0:
            return None
        res = milp(
            obj,
            constraints=LinearConstraint(a, lo, hi),
            integrality=np.ones(obj.shape[0]),
            bounds=Bounds(0, 1),
            options={"time_limit": left},
        )
        return float(res.fun) if res.status == 0 else None

    if control_arm:
        eye = csr_array(np.eye(1)) if n_g == 0 else None
        del eye
        from scipy.sparse import identity

        i_g = identity(n_g, format="csr")
        zero = csr_array((n_g, n_g))
        zero_h = csr_array((n_h, 2 * n_g))
        base = vstack(
            [
                hstack([a_g, zero, zero]),  # sum x <= 2
                hstack([a_h, zero_h]),  # household once
                hstack([-a_g, i_g, zero]),  # y <= sum x
                hstack([-a_g, zero, 2 * i_g]),  # 2 z <= sum x
            ]
        ).tocsr()
        lo = np.r_[np.zeros(n_g + n_h), np.full(2 * n_g, -np.inf)]
        hi = np.r_[np.full(n_g, 2.0), np.ones(n_h), np.zeros(2 * n_g)]
        n = m + 2 * n_g
        cover = np.r_[np.zeros(m), np.ones(n_g), np.zeros(n_g)]
        double = np.r_[np.zeros(m + n_g), np.ones(n_g)]
        objectives = [-cover, -double, np.r_[pref, np.zeros(2 * n_g)]]
        final = np.r_[dist, np.zeros(2 * n_g)]
    else:
        base = vstack([a_g, a_h]).tocsr()
        lo, hi = np.zeros(n_g + n_h), np.ones(n_g + n_h)
        n = m
        objectives = [-np.ones(m), pref]
        final = dist
    a, lo_all, hi_all = base, lo, hi
    values: list[float] = []
    for obj in objectives:
        v = solve(obj, a, lo_all, hi_all)
        if v is None:
            return {"ilp_s": None}
        v = float(round(v))
        values.append(v)
        a = vstack([a, csr_array(obj.reshape(1, n))]).tocsr()
        lo_all, hi_all = np.r_[lo_all, v], np.r_[hi_all, v]  # a face: stays integral
    v_dist = solve(final, a, lo_all, hi_all)
    if v_dist is None:
        return {"ilp_s": None}
    elapsed = time.perf_counter() - start
    if control_arm:
        covered, doubles, cost = -values[0], -values[1], values[2]
        levels = (int(covered), int(doubles), int(cost), v_dist)
    else:
        levels = (int(-values[0]), 0, int(values[1]), v_dist)
    return {"ilp_s": elapsed, "levels": levels}


def _run_worker(args: list[str], timeout: float | None = None) -> dict[str, Any] | None:
    """Run a worker in a fresh process; ``None`` if it outlives ``timeout`` (it is killed)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        out = subprocess.run(
            [sys.executable, __file__, *args],
            capture_output=True,
            text=True,
            env=env,
            check=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return None
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def whole_process(size: str, control_arm: bool, workdir: Path) -> tuple[float, float] | None:
    """Wall seconds and peak MB of ``python -m welcomematch match`` on a round file."""
    from welcomematch.core.roundfile import dumps_round

    path = workdir / f"{size}-{int(control_arm)}.json"
    path.write_text(dumps_round(_round(size, control_arm)), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "welcomematch", "match", str(path), "-o", str(path) + ".out"]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        return None
    return elapsed, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(SIZES), help="comma-separated subset")
    parser.add_argument(
        "--ilp-budget",
        type=float,
        default=120.0,
        help="hard limit in seconds on each ILP process (0: skip the ILP)",
    )
    parser.add_argument("--no-cli", action="store_true", help="skip the whole-process run")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, size, arm = args.worker[:3]
        if kind == "engine":
            print(json.dumps(worker_engine(size, arm == "1")))
        else:
            print(json.dumps(worker_ilp(size, arm == "1", float(args.worker[3]))))
        return
    header = (
        f"{'size':<9}{'arm':>4}{'pairs':>11}{'elig s':>8}{'engine s':>9}{'solve s':>8}"
        f"{'peak MB':>8}{'cli s':>7}{'cli MB':>7}{'ILP s':>9}{'ratio':>8}  same optimum"
    )
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes.split(","):
            for arm in (False, True):
                e = _run_worker(["--worker", "engine", size, str(int(arm))])
                assert e is not None
                cli = None if args.no_cli else whole_process(size, arm, Path(tmp))
                ilp: dict[str, Any] | None = {"ilp_s": None}
                if size in ILP_SIZES and args.ilp_budget > 0:
                    # A hard limit on the whole ILP process (model building included): when
                    # it is killed, the budget is a proven lower bound on the ILP's time.
                    ilp = _run_worker(
                        ["--worker", "ilp", size, str(int(arm)), str(args.ilp_budget)],
                        timeout=args.ilp_budget,
                    )
                if ilp is None or ilp["ilp_s"] is None:
                    if size not in ILP_SIZES or args.ilp_budget <= 0:
                        ilp_txt, ratio = "skipped", ""
                    else:
                        ilp_txt = f">{args.ilp_budget:.0f}"
                        ratio = f">{args.ilp_budget / e['run_s']:.0f}x"
                    same = ""
                else:
                    ilp_txt = f"{ilp['ilp_s']:.2f}"
                    ratio = f"{ilp['ilp_s'] / e['run_s']:.0f}x"
                    a, b = e["levels"], ilp["levels"]
                    same = str(a[:3] == list(b[:3]) and abs(a[3] - b[3]) < 1e-6 * max(1, a[3]))
                cli_txt = ("n/a", "n/a") if cli is None else (f"{cli[0]:.2f}", f"{cli[1]:.0f}")
                print(
                    f"{size:<9}{'on' if arm else 'off':>4}{e['pairs']:>11}{e['elig_s']:>8.3f}"
                    f"{e['run_s']:>9.3f}{e['run_s'] - e['elig_s']:>8.3f}{e['maxrss_mb']:>8.0f}"
                    f"{cli_txt[0]:>7}{cli_txt[1]:>7}{ilp_txt:>9}{ratio:>8}  {same}",
                    flush=True,
                )
                print(f"    solver: {e['solver']}", flush=True)


if __name__ == "__main__":
    main()
