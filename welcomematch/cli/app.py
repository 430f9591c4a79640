"""Application commands: ``demo``, ``serve`` and ``manage`` (Django's management commands)."""

from __future__ import annotations

import argparse
import os
import secrets
from pathlib import Path
from typing import Any

from welcomematch.cli import EXIT_BAD_INPUT, django_setup

DEFAULT_ADDRESS = "127.0.0.1:8000"


def register(subparsers: Any) -> None:
    demo = subparsers.add_parser(
        "demo",
        help="build a fresh demo programme and serve the web application",
        description="Build a fresh demo database with a synthetic programme resembling the "
        "Samen Hier pilot (four cities, 44 groups, about 100 households, rounds with a control "
        "arm, a year of check-ins), print the logins, and serve http://127.0.0.1:8000.",
    )
    demo.add_argument("--seed", type=int, default=2020, help="seed of the synthetic programme")
    demo.add_argument("--no-serve", action="store_true", help="build the database and exit")
    demo.add_argument("--address", default=DEFAULT_ADDRESS, help="where to serve (host:port)")
    demo.add_argument("--password", help="password for the demo logins (default: random)")
    demo.add_argument(
        "--yes",
        action="store_true",
        help="allow wiping a non-SQLite database (DATABASE_URL) to build the demo in it",
    )
    demo.add_argument(
        "--no-worker",
        action="store_true",
        help="do not start a background worker beside the server",
    )
    demo.set_defaults(handler=run_demo)

    serve = subparsers.add_parser("serve", help="apply migrations and serve the web application")
    serve.add_argument("--address", default=DEFAULT_ADDRESS)
    serve.add_argument(
        "--no-worker",
        action="store_true",
        help="do not start a background worker beside the server (run `welcomematch worker` "
        "yourself, e.g. as a systemd service)",
    )
    serve.set_defaults(handler=run_serve)

    manage = subparsers.add_parser(
        "manage", help="run a Django management command (migrate, createsuperuser, ...)"
    )
    manage.add_argument("arguments", nargs=argparse.REMAINDER)
    manage.set_defaults(handler=run_manage)


def _fresh_database(*, allow_wipe: bool) -> str | None:
    """Make the configured database empty and migrated; returns an error message or None."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        connections.close_all()
        path = Path(str(database["NAME"]))
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    elif not allow_wipe:
        return (
            "DATABASE_URL points to a server database; the demo wipes it. "
            "Run again with --yes if that is what you want."
        )
    else:
        # Emptying the tables (``flush``) would also empty the category lists the migrations
        # seed, and a second ``migrate`` would not seed them again: drop every table instead,
        # so the migrations build the database from nothing, as on SQLite.
        _drop_tables(connections["default"])
    call_command("migrate", interactive=False, verbosity=0)
    return None


def _drop_tables(connection: Any) -> None:
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(table)} CASCADE")


def run_demo(args: argparse.Namespace) -> int:
    os.environ.setdefault("DEBUG", "true")
    # Links in the demo's e-mail (personal survey links) point at the address it serves.
    os.environ.setdefault("SITE_URL", f"http://{args.address}")
    django_setup()
    import sys

    from django.conf import settings

    error = _fresh_database(allow_wipe=args.yes)
    if error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    from welcomematch.demo import build_demo

    password = args.password or secrets.token_urlsafe(9)
    print("Building the demo programme ...", flush=True)
    summary = build_demo(seed=args.seed, password=password)
    print(
        f"Demo ready in {settings.DATABASES['default']['NAME']}\n"
        f"  cities: {', '.join(summary.cities)}\n"
        f"  groups: {summary.groups}  households: {summary.households}  "
        f"postcodes loaded: {summary.postcodes}\n"
        f"  rounds: {summary.rounds}  matches: {summary.matches}  controls: {summary.controls}  "
        f"ended early: {summary.ended}\n"
        "Logins (all with the same password):\n"
        f"  coordinator / {password}\n"
        f"  admin / {password}   ambassador / {password}   researcher / {password}",
        flush=True,
    )
    if not settings.EMAIL_URL:
        print(f"E-mail (no EMAIL_URL set) is written as files to {settings.EMAIL_FILE_PATH}")
    if args.no_serve:
        return 0
    return _serve(args.address, migrate=False, worker=not args.no_worker)


def _serve(address: str, *, migrate: bool, worker: bool) -> int:
    from django.core.management import call_command

    from welcomematch.cli.worker import start_worker_process

    if migrate:
        call_command("migrate", interactive=False, verbosity=1)
    child = start_worker_process() if worker else None
    if child is not None:
        print("Started a background worker (round runs and confirmations).", flush=True)
    print(f"Serving http://{address}/ (Ctrl+C to stop)", flush=True)
    try:
        call_command("runserver", address, use_reloader=False, insecure_serving=True)
    finally:
        if child is not None:
            child.terminate()
            child.wait(timeout=30)
    return 0


def is_loopback(address: str) -> bool:
    """Whether ``HOST:PORT`` (or a bare port) only listens on this computer."""
    host = address.rsplit(":", 1)[0] if ":" in address else "127.0.0.1"
    host = host.strip("[]")
    if address.isdigit():
        host = "127.0.0.1"
    return host in {"127.0.0.1", "localhost", "::1"} or host.startswith("127.")


def run_serve(args: argparse.Namespace) -> int:
    # On this computer only, the generated key will do; serving the network needs SECRET_KEY.
    django_setup(serving=not is_loopback(args.address))
    return _serve(args.address, migrate=True, worker=not args.no_worker)


def run_manage(args: argparse.Namespace) -> int:
    arguments = list(args.arguments)
    serving = bool(arguments) and arguments[0] == "runserver"
    address = next((a for a in arguments[1:] if not a.startswith("-")), DEFAULT_ADDRESS)
    django_setup(serving=serving and not is_loopback(address))
    from django.core.management import execute_from_command_line

    execute_from_command_line(["welcomematch manage", *args.arguments])
    return 0
