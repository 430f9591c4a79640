"""The ``report`` command: the evaluation report of a programme as JSON, HTML or XLSX."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

from welcomematch.cli import EXIT_BAD_INPUT, django_setup
from welcomematch.core.scales import MOMENTS

FORMATS = ("json", "html", "xlsx")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def register(subparsers: Any) -> None:
    report = subparsers.add_parser(
        "report", help="write the evaluation report of a survey moment (JSON, HTML or XLSX)"
    )
    report.add_argument("--programme", required=True, help="programme short name (slug)")
    report.add_argument("--moment", required=True, choices=MOMENTS)
    report.add_argument("--city", help="only this city (by name)")
    report.add_argument("--from", dest="date_from", type=_date, help="first day (YYYY-MM-DD)")
    report.add_argument("--to", dest="date_to", type=_date, help="last day (YYYY-MM-DD)")
    report.add_argument("--format", required=True, choices=FORMATS)
    report.add_argument("-o", "--output", type=Path, required=True, help="the file to write")
    report.set_defaults(handler=report_command)


def report_command(args: argparse.Namespace) -> int:
    django_setup()
    from django.utils import translation

    from welcomematch.core.errors import InvalidInput
    from welcomematch.programmes.models import City, Programme
    from welcomematch.reports.rendering import build_report, render
    from welcomematch.reports.selectors import ReportFilter

    programme = Programme.objects.filter(slug=args.programme).first()
    if programme is None:
        known = ", ".join(Programme.objects.order_by("slug").values_list("slug", flat=True))
        print(f"error: no programme {args.programme!r} (known: {known or 'none'})", file=sys.stderr)
        return EXIT_BAD_INPUT
    city = None
    if args.city:
        city = City.objects.filter(programme=programme, name__iexact=args.city).first()
        if city is None:
            print(f"error: programme {programme.slug} has no city {args.city!r}", file=sys.stderr)
            return EXIT_BAD_INPUT
    if args.date_from and args.date_to and args.date_from > args.date_to:
        print("error: --from is after --to", file=sys.stderr)
        return EXIT_BAD_INPUT
    flt = ReportFilter(
        programme=programme,
        moment=args.moment,
        city=city,
        date_from=args.date_from,
        date_to=args.date_to,
    )
    try:
        with translation.override("en"):
            content = render(build_report(flt), args.format)
    except InvalidInput as error:
        print(f"error: the stored answers do not fit the questionnaire: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        args.output.write_bytes(content)
    except OSError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"Report written to {args.output}")
    return 0
