"""Round-file commands of the pure core: ``match``, ``verify``, ``generate-round``,
``lottery-audit``, ``explain``.

None of them imports Django, and the core modules (numpy, scipy, OR-Tools) are imported only
inside the handler that runs, so ``welcomematch --help`` stays fast. Bad input (a file that
breaks the round-file contract, an unknown id) prints one line ``error: <message>`` on stderr
and exits with status 2; no result file is written, because output goes to a temporary file
that is renamed into place only when everything succeeded.

This module can also be run on its own (``python -m welcomematch.cli.matching …``) with just
these commands.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from welcomematch.core.errors import Infeasible, InvalidInput

#: Exit status for bad input, as the round-file contract prescribes (same as welcomematch.cli).
EXIT_BAD_INPUT = 2
#: Exit status when a well-formed round could not be solved or the output not written.
EXIT_FAILURE = 1

Handler = Callable[[argparse.Namespace], int]


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {text!r}")
    return value


def _positive(text: str) -> int:
    value = _non_negative(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text!r}")
    return value


def _positive_km(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text!r}")
    return value


def _guarded(handler: Handler) -> Handler:
    """Turn the core's typed errors into one line on stderr and the contract's exit status."""

    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except InvalidInput as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        except Infeasible as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_FAILURE
        except OSError as exc:
            print(f"error: {exc.filename or ''}: {exc.strerror}", file=sys.stderr)
            return EXIT_FAILURE

    return run


def _read_round(path: str) -> Any:
    from welcomematch.core.roundfile import load_round, loads_round

    if path == "-":
        return loads_round(sys.stdin.buffer.read())
    return load_round(path)


def write_atomically(text: str, output: str | None) -> None:
    """Write ``text`` to ``output`` (stdout when None or ``-``) all at once or not at all."""
    if output is None or output == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    path = Path(output)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# --------------------------------------------------------------------------- match


def _match(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from welcomematch.core.engine import run_round
    from welcomematch.core.roundfile import dumps_result
    from welcomematch.core.runtime import paused_gc

    with paused_gc():
        round_ = _read_round(args.round_file)
        if args.seed is not None:
            round_ = replace(round_, parameters=replace(round_.parameters, seed=args.seed))
        text = dumps_result(run_round(round_))
    write_atomically(text, args.output)
    return 0


# --------------------------------------------------------------------------- verify

#: Exit status of ``verify`` when the result breaks the contract (valid input files).
EXIT_VIOLATION = 1


def _verify(args: argparse.Namespace) -> int:
    from welcomematch.core.roundfile import load_result
    from welcomematch.core.runtime import paused_gc
    from welcomematch.core.verify import first_violation, verdict

    with paused_gc():
        round_ = _read_round(args.round_file)
        result = load_result(args.result_file)
        violation = first_violation(round_, result)
    if violation is not None:
        print(violation)
        return EXIT_VIOLATION
    print(verdict(round_, result))
    return 0


# --------------------------------------------------------------------------- generate-round


def _generate(args: argparse.Namespace) -> int:
    from welcomematch.core.generate import generate_round
    from welcomematch.core.model import Mechanism
    from welcomematch.core.roundfile import dumps_round

    round_ = generate_round(
        groups=args.groups,
        households=args.households,
        cities=args.cities,
        seed=args.seed,
        control_arm=args.control_arm,
        mechanism=Mechanism(args.mechanism),
        max_distance_km=args.max_distance_km,
    )
    write_atomically(dumps_round(round_), args.output)
    return 0


# --------------------------------------------------------------------------- lottery-audit


def _audit_json(audit: Any) -> str:
    import json
    from dataclasses import asdict

    return json.dumps(asdict(audit), indent=2, ensure_ascii=False) + "\n"


def _audit_table(audit: Any) -> str:
    lines = [
        f"Lottery audit: {audit.draws} draws, seeds {audit.first_seed}.."
        f"{audit.first_seed + audit.draws - 1}, mechanism {audit.mechanism.value}, "
        f"control arm {'yes' if audit.control_arm else 'no'}",
        "P(match) is the share of draws in which a participant is matched (treatment). "
        "Decided by: eligibility = no eligible partner (chance 0); rules = same outcome in "
        "every draw (chance 0 or 1); lottery = outcome varied between draws.",
        "",
    ]
    header = (
        f"{'':<34}{'n':>6}{'P(match)':>10}{'min':>7}{'max':>7}"
        + (f"{'P(control)':>12}" if audit.control_arm else "")
        + f"{'eligibility':>13}{'rules':>7}{'lottery':>9}"
    )
    for side in ("household", "group"):
        lines.append(f"{side.capitalize()}s")
        lines.append(header)
        for b in audit.breakdowns:
            if b.side != side:
                continue
            label = f"  {b.by} {b.value}"
            label = label if len(label) <= 33 else label[:30] + "..."
            lines.append(
                f"{label:<34}{b.participants:>6}{b.mean_p_matched:>10.3f}"
                f"{b.min_p_matched:>7.3f}{b.max_p_matched:>7.3f}"
                + (f"{b.mean_p_control:>12.3f}" if audit.control_arm else "")
                + f"{b.decided_by_eligibility:>13}{b.decided_by_rules:>7}"
                f"{b.decided_by_lottery:>9}"
            )
        lines.append("")
    lines.append(
        "Areas (derived from coordinates): "
        + ", ".join(f"{a.name} ({a.participants})" for a in audit.areas)
    )
    lines.append("")
    for side, chances in (("households", audit.households), ("groups", audit.groups)):
        for decided, text in (
            ("eligibility", "no eligible partner, chance 0"),
            ("rules", "chance 0 or 1 decided by the rules"),
        ):
            ids = [
                c.id + ("" if decided == "eligibility" else f" ({c.p_matched:g})")
                for c in chances
                if c.decided_by.value == decided
            ]
            if ids:
                shown = ", ".join(ids[:20]) + (
                    f", … ({len(ids) - 20} more)" if len(ids) > 20 else ""
                )
                lines.append(f"{side.capitalize()} with {text}: {shown}")
    return "\n".join(lines).rstrip("\n") + "\n"


def _lottery_audit(args: argparse.Namespace) -> int:
    from welcomematch.core.audit import audit_lottery
    from welcomematch.core.runtime import paused_gc

    with paused_gc():  # many rounds of acyclic objects (see paused_gc)
        audit = audit_lottery(
            _read_round(args.round_file),
            args.draws,
            first_seed=args.first_seed,
            link_km=args.area_km,
        )
    write_atomically(_audit_json(audit) if args.json else _audit_table(audit), args.output)
    return 0


# --------------------------------------------------------------------------- explain


def _explain(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from welcomematch.core.explain import why_not
    from welcomematch.core.roundfile import load_result

    round_ = _read_round(args.round_file)
    result = load_result(args.result_file)
    # The seed may differ (match --seed N); the rules that explanations rest on may not.
    if replace(result.parameters, seed=round_.parameters.seed) != round_.parameters:
        raise InvalidInput(
            "parameters other than the seed differ from the round file's: is it this "
            "round's result?",
            record="result",
            field="parameters",
        )
    explanation = why_not(round_, result, args.group, args.household)
    if args.json:
        import json
        from dataclasses import asdict

        sys.stdout.write(json.dumps(asdict(explanation), indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(explanation.message + "\n")
    return 0


# --------------------------------------------------------------------------- registration


def register(subparsers: Any) -> None:
    """Add ``match``, ``verify``, ``generate-round``, ``lottery-audit`` and ``explain``."""
    match = subparsers.add_parser(
        "match",
        help="run a round file and write its result file",
        description="Read a welcomematch.round/1 file, run the matching engine and write a "
        "welcomematch.result/1 file. Bad input: one error line, exit status 2, no file.",
    )
    match.add_argument("round_file", metavar="ROUND.json", help="round file, or - for stdin")
    match.add_argument("-o", "--output", metavar="RESULT.json", help="default: stdout")
    match.add_argument(
        "--seed", type=_non_negative, help="lottery seed instead of the file's parameters.seed"
    )
    match.set_defaults(handler=_guarded(_match))

    verify = subparsers.add_parser(
        "verify",
        help="check a result file against its round file: valid and optimal, or why not",
        description="Independently re-derive every rule of the round-file contract for a "
        "result: eligible pairs, capacities, control arm, unmatched reasons and counts, "
        "order, summary, and optimality at every lexicographic level (stability for "
        "mechanism stable). Prints 'valid and optimal' (exit 0) or the first violation "
        "(exit 1); a file that cannot be read: one error line, exit 2.",
    )
    verify.add_argument("round_file", metavar="ROUND.json", help="round file, or - for stdin")
    verify.add_argument("result_file", metavar="RESULT.json")
    verify.set_defaults(handler=_guarded(_verify))

    generate = subparsers.add_parser(
        "generate-round",
        help="write a realistic synthetic round file",
        description="Write a synthetic round: clustered Dutch-like cities, shared postcode "
        "points, partial rankings, capacity and vulnerability 0-3, a few excludes. The same "
        "arguments always give the same file.",
    )
    generate.add_argument("--groups", type=_non_negative, required=True, metavar="N")
    generate.add_argument("--households", type=_non_negative, required=True, metavar="M")
    generate.add_argument("--cities", type=_positive, default=1, metavar="K")
    generate.add_argument("--seed", type=_non_negative, default=0, metavar="S")
    generate.add_argument("--control-arm", action="store_true")
    generate.add_argument("--mechanism", choices=("optimal", "stable"), default="optimal")
    generate.add_argument("--max-distance-km", type=_positive_km, default=5.0, metavar="KM")
    generate.add_argument("-o", "--output", metavar="FILE", help="default: stdout")
    generate.set_defaults(handler=_guarded(_generate))

    audit = subparsers.add_parser(
        "lottery-audit",
        help="each participant's chance of a match over many lottery seeds",
        description="Re-run a round with seeds S, S+1, …, S+N-1 (S: --first-seed, default "
        "the file's seed) and report the probability of being matched (and control) per "
        "participant, by type, level (capacity / vulnerability) and derived area, flagging "
        "who is decided by eligibility or the rules rather than by the lottery.",
    )
    audit.add_argument("round_file", metavar="ROUND.json")
    audit.add_argument("--draws", type=_positive, required=True, metavar="N")
    audit.add_argument("--first-seed", type=_non_negative, metavar="S")
    audit.add_argument(
        "--area-km",
        type=_positive_km,
        default=3.0,
        metavar="KM",
        help="points this close (or chained) form one area (default 3)",
    )
    audit.add_argument("--json", action="store_true", help="JSON instead of a table")
    audit.add_argument("-o", "--output", metavar="FILE", help="default: stdout")
    audit.set_defaults(handler=_guarded(_lottery_audit))

    explain = subparsers.add_parser(
        "explain",
        help="why a group and a household were (not) paired",
        description="Explain one pair of a round's result: matched, control, out of range, "
        "vulnerability above capacity, excluded, or eligible but given to others.",
    )
    explain.add_argument("round_file", metavar="ROUND.json")
    explain.add_argument("result_file", metavar="RESULT.json")
    explain.add_argument("--group", required=True, metavar="G")
    explain.add_argument("--household", required=True, metavar="H")
    explain.add_argument("--json", action="store_true", help="structured answer as JSON")
    explain.set_defaults(handler=_guarded(_explain))


def main(argv: Sequence[str] | None = None) -> int:
    """These commands on their own, without the rest of the ``welcomematch`` command."""
    parser = argparse.ArgumentParser(prog="welcomematch")
    register(parser.add_subparsers(dest="command", metavar="COMMAND"))
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
