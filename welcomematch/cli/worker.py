"""``welcomematch worker``: carry out background tasks (running and confirming rounds, ...).

Tasks go through Django's tasks framework (the django-tasks backport) with its database
backend, so any number of workers, on any number of machines that reach the database, share
the queue; each task is claimed by one worker only.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from typing import Any

from welcomematch.cli import django_setup


def register(subparsers: Any) -> None:
    worker = subparsers.add_parser(
        "worker",
        help="carry out background tasks (round runs and confirmations, ...)",
        description="Carry out the queued background tasks of the configured database until "
        "stopped (Ctrl+C or SIGTERM finishes the current task first). Run one or more next to "
        "the web server; `welcomematch demo` and `welcomematch serve` start one themselves.",
    )
    worker.add_argument(
        "--batch", action="store_true", help="carry out what is queued now, then exit"
    )
    worker.add_argument(
        "--interval",
        type=float,
        default=1.0,
        help="seconds between looks at an empty queue (default 1)",
    )
    worker.set_defaults(handler=run_worker)


def run_worker(args: argparse.Namespace) -> int:
    django_setup()
    from django.core.management import call_command

    options = ["--interval", str(args.interval), "--no-reload"]
    if args.batch:
        options += ["--batch", "--no-startup-delay"]
    call_command("db_worker", *options)
    return 0


def start_worker_process() -> subprocess.Popen[bytes]:
    """A worker in a child process with this process's settings (used by demo and serve)."""
    return subprocess.Popen([sys.executable, "-m", "welcomematch.cli", "worker"])
