"""The ``welcomematch`` console command.

Each module in :data:`COMMAND_MODULES` exposes ``register(subparsers)`` and adds its
sub-commands; a sub-command's handler takes the parsed namespace and returns an exit status.
Commands of the pure core (``match``, ``generate-round``, ``lottery-audit``) never start Django,
so they stay fast; application commands call :func:`welcomematch.cli.django_setup` first.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from welcomematch import __version__

#: Modules that contribute sub-commands, in the order they appear in ``--help``.
COMMAND_MODULES: tuple[str, ...] = (
    "welcomematch.cli.matching",
    "welcomematch.cli.app",
    "welcomematch.cli.intake",
    "welcomematch.cli.trial",
    "welcomematch.cli.worker",
    "welcomematch.cli.surveys",
    "welcomematch.cli.reports",
    "welcomematch.cli.mail",
)

#: Exit status for bad input, as the round-file contract prescribes.
EXIT_BAD_INPUT = 2


def django_setup() -> None:
    """Configure Django from :mod:`welcomematch.settings` (idempotent)."""
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "welcomematch.settings")
    django.setup()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="welcomematch",
        description="Run a community sponsorship programme: intake, matching rounds, "
        "randomised control, match lifecycle and evaluation.",
    )
    parser.add_argument("--version", action="version", version=f"welcomematch {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    status: int = handler(args)
    return status


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
