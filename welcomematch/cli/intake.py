"""Intake commands: ``postcodes load``, ``import`` and ``intake-form``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from welcomematch.cli import EXIT_BAD_INPUT, django_setup


def register(subparsers: Any) -> None:
    postcodes = subparsers.add_parser("postcodes", help="manage the postcode table")
    postcode_commands = postcodes.add_subparsers(dest="postcodes_command", metavar="ACTION")
    load = postcode_commands.add_parser(
        "load",
        help="load a GeoNames postal-code dump (tab-separated, e.g. NL.txt; © GeoNames, CC BY 4.0)",
    )
    load.add_argument(
        "file", type=Path, help="GeoNames postal-code file, or 'demo' for the bundled subset"
    )
    load.set_defaults(handler=postcodes_load)
    postcodes.set_defaults(handler=lambda args: (postcodes.print_help(), EXIT_BAD_INPUT)[1])

    importing = subparsers.add_parser(
        "import",
        help="import groups or households from a KoboToolbox/ODK/SurveyCTO export (dry run unless --commit)",
    )
    importing.add_argument("kind", choices=("groups", "households"))
    importing.add_argument(
        "files",
        nargs="+",
        type=Path,
        help="export files: XLSX, CSV (with one CSV per repeat group) or ODK Central's .csv.zip",
    )
    importing.add_argument("--programme", help="programme short name (default: the first)")
    importing.add_argument("--city", help="city for rows without a city column")
    importing.add_argument("--commit", action="store_true", help="write the rows (all or none)")
    importing.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="HEADER=FIELD",
        help="map a column to a question (FIELD/CHOICE for a 0/1 column; empty to ignore); saved on commit",
    )
    importing.set_defaults(handler=import_command)

    form = subparsers.add_parser(
        "intake-form",
        help="write an intake questionnaire as XLSForm for KoboToolbox or ODK Collect",
    )
    form.add_argument("kind", choices=("groups", "households"))
    form.add_argument("-o", "--output", type=Path, required=True, help="the .xlsx file to write")
    form.add_argument("--version", default="1", help="form version (default 1)")
    form.set_defaults(handler=intake_form)

    purge = subparsers.add_parser(
        "imports-purge",
        help="remove uploaded survey exports kept longer than a day (for a daily cron job)",
    )
    purge.add_argument(
        "--hours", type=float, default=24, help="remove uploads older than this (default 24)"
    )
    purge.set_defaults(handler=imports_purge)


def postcodes_load(args: argparse.Namespace) -> int:
    django_setup()
    from django.core.exceptions import ValidationError

    from welcomematch.intake.services import postcodes_load_bundled_demo, postcodes_load_file

    try:
        if str(args.file) == "demo":
            count = postcodes_load_bundled_demo()
        else:
            count = postcodes_load_file(path=args.file)
    except (OSError, ValidationError) as error:
        message = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        print(f"error: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"{count} postcodes loaded. Postal code data © GeoNames (www.geonames.org), CC BY 4.0.")
    return 0


def import_command(args: argparse.Namespace) -> int:
    django_setup()
    from django.core.exceptions import ValidationError

    from welcomematch.intake.importing import (
        check_upload_sizes,
        mapping_save,
        parse_mapping,
        report_lines,
        run_import,
    )
    from welcomematch.programmes.models import City, Programme

    try:
        mapping = parse_mapping(args.map, kind=args.kind)
    except ValidationError as error:
        for message in error.messages:
            print(f"error: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT

    programmes = Programme.objects.order_by("pk")
    programme = (
        programmes.filter(slug=args.programme).first() if args.programme else programmes.first()
    )
    if programme is None:
        if args.programme:
            print(f"error: no programme {args.programme!r}", file=sys.stderr)
        else:
            print(
                "error: there is no programme yet: create one in the admin "
                "(welcomematch serve, /admin/) or build the demo (welcomematch demo)",
                file=sys.stderr,
            )
        return EXIT_BAD_INPUT
    city = None
    if args.city:
        city = City.objects.filter(programme=programme, name__iexact=args.city).first()
        if city is None:
            print(f"error: programme {programme.slug} has no city {args.city!r}", file=sys.stderr)
            return EXIT_BAD_INPUT
    try:
        check_upload_sizes([(path.name, path.stat().st_size) for path in args.files])
        files = [(path.name, path.read_bytes()) for path in args.files]
    except OSError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ValidationError as error:
        print(f"error: {'; '.join(error.messages)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    report = run_import(
        programme=programme,
        city=city,
        kind=args.kind,
        files=files,
        actor=None,
        dry_run=not args.commit,
        extra_mapping=mapping,
    )
    for line in report_lines(report):
        print(line)
    if report["errors"]:
        print("Nothing was imported: correct the errors and run again.", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.commit:
        mapping_save(programme=programme, kind=args.kind, report=report)
        print("Committed.")
    else:
        print("Dry run: nothing was written. Run again with --commit to import.")
    return 0


def intake_form(args: argparse.Namespace) -> int:
    django_setup()
    from welcomematch.intake.questions import QUESTIONNAIRES
    from welcomematch.intake.xlsform import xlsform_write

    try:
        xlsform_write(QUESTIONNAIRES[args.kind], args.output, version=args.version)
    except OSError as error:
        print(f"error: cannot write {args.output}: {error.strerror or error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"XLSForm written to {args.output}")
    return 0


def imports_purge(args: argparse.Namespace) -> int:
    django_setup()
    from datetime import timedelta

    from welcomematch.intake.importing import import_uploads_purge

    if args.hours < 0:
        print("error: --hours must be 0 or more", file=sys.stderr)
        return EXIT_BAD_INPUT
    count = import_uploads_purge(older_than=timedelta(hours=args.hours))
    print(f"Uploaded files of {count} imports removed.")
    return 0
