"""Benchmark a matching round through the application, next to the command line.

Usage (from the repository root, in the project's virtualenv)::

    python bench/rounds.py                                  # region and national, both databases
    python bench/rounds.py --sizes region --databases sqlite

For each size and database it builds a synthetic programme in a fresh database (the groups and
households of a generated round file, with the file's ids as references), then measures, in a
fresh process: ``round_run`` (gathering the input from the database, the engine, storing the
proposals and unmatched reasons), ``round_confirm`` (matches, control assignments, audit rows)
and the process's peak memory. In the same run it times the whole ``welcomematch match`` process
on the same round file, and checks that the application stored the very result the command line
writes. Targets (issue #14): run <= 1.5 x the command line + 5 s; confirm <= 10 s at national
size; peak memory <= 4 GB. It prints figures; it asserts nothing about time.

PostgreSQL: ``--postgres-url`` (default ``postgres://postgres@127.0.0.1:5432/``); the bench
creates and drops its own database (``--postgres-database``, default ``welcomematch_bench``).
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

ROOT = Path(__file__).resolve().parent.parent
#: name: (groups, households, cities)
SIZES: dict[str, tuple[int, int, int]] = {
    "pilot": (42, 100, 1),
    "region": (5000, 15000, 10),
    "national": (20000, 60000, 40),
}
SEED = 20200601
BENCH_DB = "welcomematch_bench"


def _environment(database: str, home: str, postgres_url: str, name: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "WELCOMEMATCH_HOME": home,
            "SECRET_KEY": "bench-only-not-secret",
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "welcomematch.settings",
        }
    )
    env.pop("DATABASE_URL", None)
    if database == "postgresql":
        env["DATABASE_URL"] = postgres_url.rstrip("/") + "/" + name
    return env


def _fresh_postgres(postgres_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(postgres_url.rstrip("/") + "/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")


def worker(round_path: str, result_path: str) -> dict[str, Any]:
    """In a fresh process: migrate, load the participants, run and confirm through the app."""
    import resource

    import django

    django.setup()
    from django.core.management import call_command

    from welcomematch.core import roundfile
    from welcomematch.intake.models import Exclusion, Household, WelcomeGroup
    from welcomematch.matching import services
    from welcomematch.programmes.models import City, Programme

    call_command("migrate", interactive=False, verbosity=0)
    core = roundfile.loads_round(Path(round_path).read_bytes())
    t = time.perf_counter()
    programme = Programme.objects.create(name="Bench", slug="bench")
    city = City.objects.create(programme=programme, name="Bench", latitude=52.0, longitude=5.0)
    from django.utils import timezone

    now = timezone.now()
    WelcomeGroup.objects.bulk_create(
        [
            WelcomeGroup(
                programme=programme,
                city=city,
                reference=g.id,
                name=g.id,
                latitude=g.lat,
                longitude=g.lon,
                capacity=g.capacity,
                group_type=g.type,
                ranking=list(g.ranking),
                intake_completed_at=now,
            )
            for g in core.groups
        ],
        batch_size=2000,
    )
    Household.objects.bulk_create(
        [
            Household(
                programme=programme,
                city=city,
                reference=h.id,
                contact_name=h.id,
                latitude=h.lat,
                longitude=h.lon,
                vulnerability=h.vulnerability,
                household_type=h.type,
                ranking=list(h.ranking),
                intake_completed_at=now,
            )
            for h in core.households
        ],
        batch_size=2000,
    )
    group_pk = dict(WelcomeGroup.objects.values_list("reference", "pk"))
    household_pk = dict(Household.objects.values_list("reference", "pk"))
    Exclusion.objects.bulk_create(
        [
            Exclusion(group_id=group_pk[g.id], household_id=household_pk[h])
            for g in core.groups
            for h in sorted(g.exclude)
        ]
        + [
            Exclusion(group_id=group_pk[g], household_id=household_pk[h.id])
            for h in core.households
            for g in sorted(h.exclude)
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )
    load_s = time.perf_counter() - t
    p = core.parameters
    rnd = services.round_create(
        programme=programme,
        name="Bench",
        actor=None,
        max_distance_km=p.max_distance_km,
        mechanism=p.mechanism.value,
        control_arm=p.control_arm,
        seed=p.seed,
    )
    stages: dict[str, float] = {}
    last = [time.perf_counter()]

    def progress(stage: str) -> None:
        now = time.perf_counter()
        stages[stage] = now
        last[0] = now

    t = time.perf_counter()
    rnd = services.round_run(round=rnd, actor=None, progress=progress)
    run_s = time.perf_counter() - t
    end_run = time.perf_counter()
    phases = {
        "build_s": stages["solving"] - stages["building"],
        "solve_s": stages["storing"] - stages["solving"],
        "store_s": end_run - stages["storing"],
    }
    same = roundfile.dumps_result(roundfile.result_from_dict(rnd.result_file)) == Path(
        result_path
    ).read_text(encoding="utf-8")
    t = time.perf_counter()
    services.round_confirm(round=rnd, actor=None)
    confirm_s = time.perf_counter() - t
    return {
        "load_s": load_s,
        "run_s": run_s,
        **phases,
        "confirm_s": confirm_s,
        "same_result": same,
        "matched": rnd.result_file["summary"]["matched"],
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _cli(round_path: Path, result_path: Path) -> float:
    t = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "welcomematch.cli",
            "match",
            str(round_path),
            "-o",
            str(result_path),
        ],
        check=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="region,national")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/")
    parser.add_argument("--postgres-database", default=BENCH_DB)
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(*args.worker)))
        return

    sys.path.insert(0, str(ROOT))
    from welcomematch.core import roundfile
    from welcomematch.core.generate import generate_round

    header = (
        f"{'size':9} {'database':10} {'CLI s':>6} {'run s':>7} {'(build':>7} {'solve':>6} "
        f"{'store)':>7} {'target':>7} {'confirm s':>9} {'peak MB':>8} {'same result':>11}"
    )
    print(header)
    print("-" * len(header))
    for size in args.sizes.split(","):
        groups, households, cities = SIZES[size]
        with tempfile.TemporaryDirectory(prefix="wm-bench-rounds-") as tmp:
            round_path = Path(tmp) / "round.json"
            result_path = Path(tmp) / "result.json"
            core = generate_round(
                groups=groups, households=households, cities=cities, seed=SEED, control_arm=True
            )
            round_path.write_text(roundfile.dumps_round(core), encoding="utf-8")
            del core
            cli_s = _cli(round_path, result_path)
            for database in args.databases.split(","):
                home = Path(tmp) / f"home-{database}"
                home.mkdir()
                if database == "postgresql":
                    _fresh_postgres(args.postgres_url, args.postgres_database)
                env = _environment(database, str(home), args.postgres_url, args.postgres_database)
                done = subprocess.run(
                    [sys.executable, __file__, "--worker", str(round_path), str(result_path)],
                    env=env,
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if done.returncode != 0:
                    print(f"{size:9} {database:10} failed:\n{done.stderr[-2000:]}")
                    continue
                r = json.loads(done.stdout.strip().splitlines()[-1])
                target = 1.5 * cli_s + 5
                print(
                    f"{size:9} {database:10} {cli_s:6.1f} {r['run_s']:7.1f} {r['build_s']:7.1f} "
                    f"{r['solve_s']:6.1f} {r['store_s']:7.1f} {target:7.1f} "
                    f"{r['confirm_s']:9.1f} {r['maxrss_mb']:8.0f} "
                    f"{'yes' if r['same_result'] else 'NO':>11}",
                    flush=True,
                )
            if "postgresql" in args.databases:
                import psycopg

                with psycopg.connect(
                    args.postgres_url.rstrip("/") + "/postgres", autocommit=True
                ) as conn:
                    conn.execute(f"DROP DATABASE IF EXISTS {args.postgres_database} WITH (FORCE)")


if __name__ == "__main__":
    main()
