"""Benchmark the survey-export import: dry run and commit of N group rows with their members.

Usage (from the repository root)::

    PYTHONPATH=. python bench/importing.py                          # 10 000 and 100 000 rows
    PYTHONPATH=. python bench/importing.py --sizes 1000 --databases sqlite
    BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/wm_bench python bench/importing.py

The export is an ODK Central ``.csv.zip`` (main file plus ``-members.csv``, three members a
group, split select-multiple columns) written in the convention of Central's CSV writer, with
postcodes from the bundled demo table. For each size and database a fresh database is
migrated, then the dry run and the commit each run in their own process, so the peak resident
memory printed is that of the phase alone (it includes Python, Django and the parsed export).
Targets (issue #15): each phase <= 60 s and <= 1 GB for 100 000 rows. ``cpu s`` is this
process's own processor time (not PostgreSQL's): on a shared, loaded machine it shows what the
phase costs when the wall-clock ``seconds`` include waiting for a processor.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SEED = 20241201
POSTGRES_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/wm_bench_importing"
)
LANGUAGES = ["nl", "en", "ar", "ti", "fa", "prs", "ps", "ku", "so", "tr"]
RANKING = ["family_with_children", "single_parent", "couple", "single_woman", "single_man"]


def write_export(path: Path, rows: int, postcodes: list[str]) -> None:
    """An ODK Central-style ``.csv.zip`` of ``rows`` groups with three members each."""
    rng = random.Random(SEED)
    main_header = [
        "SubmissionDate",
        "group-name",
        "group-contact_email",
        "group-postcode",
        "group-acquaintance",
        "group-languages",
        *(f"group-languages/{code}" for code in LANGUAGES),
        "group-motivation",
        "matching-willingness",
        "matching-experience",
        "matching-ranking",
        "matching-hours_per_month",
        "matching-contact_kind",
        "matching-availability",
        "agreement-consent",
        "agreement-non_discrimination",
        "meta-instanceID",
        "KEY",
        "ReviewState",
    ]
    member_header = [
        "first_name",
        "age",
        "gender",
        "volunteered_with_refugees",
        "PARENT_KEY",
        "KEY",
    ]
    main, members = io.StringIO(), io.StringIO()
    main_writer, member_writer = csv.writer(main), csv.writer(members)
    main_writer.writerow(main_header)
    member_writer.writerow(member_header)
    for number in range(rows):
        key = f"uuid:bench-{number:08d}"
        chosen = sorted(rng.sample(LANGUAGES, 2), key=LANGUAGES.index)
        main_writer.writerow(
            [
                "2024-04-01T10:00:00.000Z",
                f'Groep "{number}"',
                f"g{number}@example.org",
                rng.choice(postcodes),
                "neighbours",
                " ".join(chosen),
                *(1 if code in chosen else 0 for code in LANGUAGES),
                f"Regel één van {number}.\nTweede regel; met komma, en ‘quotes’.",
                str(rng.randint(0, 2)),
                str(rng.randint(0, 2)),
                " ".join([*RANKING, "single_other"]),
                rng.randint(4, 40),
                "both",
                "Weekends",
                "OK",
                "OK",
                key,
                key,
                "",
            ]
        )
        for member in range(3):
            member_writer.writerow(
                [
                    f"Lid{member}",
                    rng.randint(18, 80),
                    rng.choice(["woman", "man", "other"]),
                    rng.choice(["yes", "no"]),
                    key,
                    f"{key}/members[{member + 1}]",
                ]
            )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bench.csv", main.getvalue())
        archive.writestr("bench-members.csv", members.getvalue())


def _django(database_url: str, home: Path) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["WELCOMEMATCH_HOME"] = str(home)
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ["DJANGO_SETTINGS_MODULE"] = "welcomematch.settings"
    import django

    django.setup()


def phase_setup(database_url: str, home: Path, rows: int, export: Path) -> dict[str, Any]:
    _django(database_url, home)
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from welcomematch.intake.models import Postcode
    from welcomematch.intake.services import postcodes_load_bundled_demo
    from welcomematch.programmes.models import City, Programme

    Programme.objects.all().delete()
    programme = Programme.objects.create(name="Bench", slug="bench")
    City.objects.create(programme=programme, name="Almere", latitude=52.37, longitude=5.22)
    postcodes_load_bundled_demo()
    codes = sorted(Postcode.objects.values_list("code", flat=True))
    started = time.perf_counter()
    write_export(export, rows, codes)
    return {"export_s": time.perf_counter() - started, "export_mb": export.stat().st_size / 2**20}


def phase_import(database_url: str, home: Path, export: Path, commit: bool) -> dict[str, Any]:
    _django(database_url, home)
    import resource

    from welcomematch.intake.importing import run_import
    from welcomematch.programmes.models import City, Programme

    programme = Programme.objects.get(slug="bench")
    city = City.objects.get(programme=programme)
    content = export.read_bytes()
    started, cpu_started = time.perf_counter(), time.process_time()
    report = run_import(
        programme=programme,
        city=city,
        kind="groups",
        files=[(export.name, content)],
        actor=None,
        dry_run=not commit,
    )
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    first_errors = [e for row in report["rows"] for e in row["errors"]][:3]
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "peak_mb": peak_kb / 1024,
        "rows": len(report["rows"]),
        "created": report["created"],
        "errors": report["errors"],
        "file_errors": report["file_errors"][:3],
        "first_errors": first_errors,
        "committed": report["committed"],
    }


def _child(phase: str, *args: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, __file__, "--phase", phase, *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"{phase} failed:\n{result.stderr[-3000:]}")
    figures: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def _postgres_ready(url: str) -> str | None:
    """Create the benchmark database if needed; returns a reason when PostgreSQL is absent."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed"
    base, name = url.rsplit("/", 1)
    try:
        with psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=3) as conn:
            # A new database each time: a flush would also empty the seeded category lists.
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as error:
        return f"no PostgreSQL at {base}: {error}"
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--home", help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--export", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "setup":
        print(json.dumps(phase_setup(args.url, Path(args.home), args.rows, Path(args.export))))
        return
    if args.phase in ("dry", "commit"):
        figures = phase_import(args.url, Path(args.home), Path(args.export), args.phase == "commit")
        print(json.dumps(figures))
        return
    print(
        f"{'db':9} {'rows':>7} {'phase':7} {'seconds':>8} {'cpu s':>7} {'peak MB':>8} "
        f"{'created':>8} errors"
    )
    for database in args.databases.split(","):
        for size in (int(s) for s in args.sizes.split(",")):
            with tempfile.TemporaryDirectory(prefix="wm-bench-") as tmp:
                home = Path(tmp)
                if database == "postgres":
                    problem = _postgres_ready(POSTGRES_URL)
                    if problem:
                        print(f"{database:9} {size:>7} skipped: {problem}")
                        continue
                    url = POSTGRES_URL
                else:
                    url = f"sqlite:///{home / 'bench.sqlite3'}"
                export = home / "bench.csv.zip"
                common = ["--url", url, "--home", str(home), "--export", str(export)]
                made = _child("setup", *common, "--rows", str(size))
                print(
                    f"{database:9} {size:>7} export  {made['export_s']:8.1f} "
                    f"{'':>7} {'':>8} {made['export_mb']:7.1f}M",
                    flush=True,
                )
                for phase in ("dry", "commit"):
                    figures = _child(phase, *common)
                    print(
                        f"{database:9} {size:>7} {phase:7} {figures['seconds']:8.1f} "
                        f"{figures['cpu_seconds']:7.1f} {figures['peak_mb']:8.0f} {figures['created']:>8} {figures['errors']}"
                        + (
                            f"  {figures['file_errors'] or figures['first_errors']}"
                            if figures["errors"]
                            else ""
                        ),
                        flush=True,
                    )


if __name__ == "__main__":
    main()
