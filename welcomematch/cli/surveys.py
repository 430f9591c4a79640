"""Survey commands: ``survey import`` (responses from a survey tool) and ``survey form``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from welcomematch.cli import EXIT_BAD_INPUT, django_setup
from welcomematch.core.scales import MOMENTS, SIDES


def register(subparsers: Any) -> None:
    survey = subparsers.add_parser("survey", help="evaluation surveys: import responses, XLSForm")
    commands = survey.add_subparsers(dest="survey_command", metavar="ACTION")
    importing = commands.add_parser(
        "import",
        help="import survey responses from a KoboToolbox/ODK/SurveyCTO export "
        "(dry run unless --commit)",
    )
    importing.add_argument("moment", choices=MOMENTS)
    importing.add_argument("side", choices=SIDES)
    importing.add_argument("files", nargs="+", type=Path, help="CSV or XLSX export files")
    importing.add_argument("--programme", help="programme short name (default: the first)")
    importing.add_argument("--commit", action="store_true", help="write the rows (all or none)")
    importing.set_defaults(handler=survey_import)
    form = commands.add_parser(
        "form", help="write a survey questionnaire as XLSForm for KoboToolbox or ODK Collect"
    )
    form.add_argument("moment", choices=MOMENTS)
    form.add_argument("side", choices=SIDES)
    form.add_argument("-o", "--output", type=Path, required=True, help="the .xlsx file to write")
    form.set_defaults(handler=survey_form)
    survey.set_defaults(handler=lambda args: (survey.print_help(), EXIT_BAD_INPUT)[1])


def survey_import(args: argparse.Namespace) -> int:
    django_setup()
    from welcomematch.programmes.models import Programme
    from welcomematch.surveys.importing import report_lines, run_import

    programmes = Programme.objects.order_by("pk")
    programme = (
        programmes.filter(slug=args.programme).first() if args.programme else programmes.first()
    )
    if programme is None:
        print(f"error: no programme {args.programme or ''!r}".rstrip(), file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        files = [(path.name, path.read_bytes()) for path in args.files]
    except OSError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    report = run_import(
        programme=programme,
        moment=args.moment,
        side=args.side,
        files=files,
        actor=None,
        dry_run=not args.commit,
    )
    for line in report_lines(report):
        print(line)
    if report["errors"]:
        print("Nothing was imported: correct the errors and run again.", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.commit:
        print("Committed.")
    else:
        print("Dry run: nothing was written. Run again with --commit to import.")
    return 0


def survey_form(args: argparse.Namespace) -> int:
    django_setup()
    from welcomematch.surveys.importing import current_instrument
    from welcomematch.surveys.xlsform import xlsform_write

    instrument = current_instrument(moment=args.moment, side=args.side)
    if instrument is None:
        print(f"error: no current {args.moment} questionnaire for {args.side}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        xlsform_write(instrument, args.output)
    except OSError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"XLSForm written to {args.output}")
    return 0
