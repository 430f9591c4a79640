"""``welcomematch retention apply [--dry-run]``: apply the retention periods."""

from __future__ import annotations

import argparse
from typing import Any

from welcomematch.cli import django_setup


def register(subparsers: Any) -> None:
    retention = subparsers.add_parser(
        "retention",
        help="apply the retention periods: erase or delete what is kept too long",
        description="Erase participants who left or finished longer ago than their retention "
        "period, delete old invitation links, uploads, login attempts, sessions and audit "
        "events. With --dry-run, only count.",
    )
    actions = retention.add_subparsers(dest="retention_action", metavar="ACTION", required=True)
    apply = actions.add_parser("apply", help="apply (or, with --dry-run, count) the periods")
    apply.add_argument("--dry-run", action="store_true", help="count, change nothing")
    apply.set_defaults(handler=retention_apply_command)


def retention_apply_command(args: argparse.Namespace) -> int:
    django_setup()
    from welcomematch.privacy.retention import retention_apply

    outcomes = retention_apply(dry_run=args.dry_run)
    verb = "would go" if args.dry_run else "done"
    for outcome in outcomes:
        print(f"{outcome.rule}: {outcome.count} {verb} (kept {outcome.kept_days:g} days)")
    return 0
