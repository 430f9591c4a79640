"""Trial commands of the pure core: ``trial analyse``.

Reads a trial data file (``welcomematch.trial/1``) and writes the analysis
(``welcomematch.trial-result/1``) as ``trial-analysis.md`` defines it. Never starts Django;
the core is imported inside the handler. Bad input (a file that breaks the contract, an
``--outcome`` that is not a column, a bad ``--seed``/``--draws``) prints exactly one line
``error: <file>: line N: column 'C': <problem>`` on stderr and exits with status 2; no result
file is written, not even a partial one (the output is written to a temporary file and
renamed into place only when complete).

This module can also be run on its own (``python -m welcomematch.cli.trial analyse …``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from welcomematch.cli.matching import EXIT_BAD_INPUT, EXIT_FAILURE, write_atomically
from welcomematch.core.errors import InvalidInput

NO_OUTCOME = "--outcome: name at least one outcome column"
BAD_NUMBER = "{option}: must be an integer >= {minimum}, got {value!r}"


def _integer(text: str, option: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise InvalidInput(BAD_NUMBER.format(option=option, minimum=minimum, value=text))
    return value


def _analyse(args: argparse.Namespace) -> int:
    from welcomematch.core.trial import analyse, dumps_result, parse_trial_bytes, read_trial_file

    source = "<stdin>" if args.data_file == "-" else args.data_file
    try:
        if not args.outcome:
            raise InvalidInput(NO_OUTCOME)
        seed = _integer(args.seed, "--seed", 0)
        draws = _integer(args.draws, "--draws", 1)
        if args.data_file == "-":
            data = parse_trial_bytes(sys.stdin.buffer.read())
        else:
            data = read_trial_file(args.data_file)
        text = dumps_result(
            analyse(data, args.outcome, seed=seed, draws=draws, language=args.language)
        )
    except InvalidInput as exc:
        message = " ".join(str(exc).split())  # exactly one line
        print(f"error: {source}: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        write_atomically(text, args.output)
    except OSError as exc:
        print(f"error: {exc.filename or args.output}: {exc.strerror}", file=sys.stderr)
        return EXIT_FAILURE
    return 0


def register(subparsers: Any) -> None:
    """Add ``trial`` with its sub-command ``analyse``."""
    trial = subparsers.add_parser(
        "trial",
        help="analyse a randomised trial data file",
        description="Commands for the randomised trial (see docs/trial-analysis.md).",
    )
    commands = trial.add_subparsers(dest="trial_command", metavar="COMMAND")
    trial.set_defaults(handler=lambda args: _help(trial))
    analyse = commands.add_parser(
        "analyse",
        help="analyse a trial data file and write its result file",
        description="Read a welcomematch.trial/1 file and write a welcomematch.trial-result/1 "
        "file: attrition, difference in means, paired estimate, randomisation p-value, Lee "
        "bounds, minimal detectable effect and a plain-language summary per outcome, and "
        "the balance table. The same file and seed give byte-identical output. Bad input: "
        "one error line naming the line and column, exit status 2, no file.",
    )
    analyse.add_argument("data_file", metavar="DATA.csv", help="trial data file, or - for stdin")
    analyse.add_argument(
        "--outcome",
        action="append",
        default=[],
        metavar="COL",
        help="an outcome column (repeat for several)",
    )
    analyse.add_argument(
        "--seed", default="0", metavar="S", help="seed of the Monte Carlo p-value (default 0)"
    )
    analyse.add_argument(
        "--draws",
        default="10000",
        metavar="N",
        help="Monte Carlo sign vectors when more than 20 intact pairs (default 10000)",
    )
    analyse.add_argument(
        "--language", choices=("en", "nl"), default="en", help="language of the summaries"
    )
    analyse.add_argument("-o", "--output", metavar="RESULT.json", help="default: stdout")
    analyse.set_defaults(handler=_analyse)


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return EXIT_BAD_INPUT


def main(argv: Sequence[str] | None = None) -> int:
    """These commands on their own, without the rest of the ``welcomematch`` command."""
    parser = argparse.ArgumentParser(prog="welcomematch")
    register(parser.add_subparsers(dest="command", metavar="COMMAND"))
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    status: int = handler(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
