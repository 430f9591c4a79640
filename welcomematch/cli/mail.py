"""Commands that send e-mail outside any request: ``send-mail``, ``send-reminders`` and
``send-notifications``.

All are meant for cron (see the README): ``send-mail`` delivers the queue every few minutes
(a running worker also delivers it moments after a message is queued); ``send-reminders``
reminds the respondents of open survey waves who have not answered (at most once per
``--every-days``); ``send-notifications`` (daily) queues the first-meeting and check-in
reminders and, once a week, each coordinator's digest. Each then delivers the queue.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from welcomematch.cli import EXIT_BAD_INPUT, django_setup


def register(subparsers: Any) -> None:
    send = subparsers.add_parser(
        "send-mail",
        help="deliver queued e-mail (SMTP with EMAIL_URL, else files under the data directory)",
    )
    send.add_argument("--limit", type=int, default=None, help="send at most this many messages")
    send.set_defaults(handler=run_send_mail)

    remind = subparsers.add_parser(
        "send-reminders",
        help="remind respondents of open survey waves who have not answered, then send mail",
        description="For every open survey wave, queue a reminder (with a fresh personal link) "
        "to each respondent with an e-mail address who has not answered and was not reminded "
        "in the last --every-days days; then deliver the mail queue.",
    )
    remind.add_argument("--programme", help="only this programme (its short name)")
    remind.add_argument("--wave", type=int, help="only this wave (its number)")
    remind.add_argument(
        "--every-days", type=int, default=7, help="remind a person at most once per N days"
    )
    remind.add_argument(
        "--no-send", action="store_true", help="queue the reminders but do not deliver the queue"
    )
    remind.set_defaults(handler=run_send_reminders)

    notify = subparsers.add_parser(
        "send-notifications",
        help="queue today's match reminders and the weekly coordinator digest, then send mail",
        description="Run once a day. Queues the first-meeting reminders (to both sides and the "
        "cultural ambassador, a few days before a planned first meeting), the reminders to "
        "coordinators of matches without a first meeting or without a check-in for too long "
        "(the programme's waiting targets), and, once per week, each coordinator's digest. "
        "Every event is notified once, however often the command runs; then the mail queue "
        "is delivered.",
    )
    notify.add_argument("--programme", help="only this programme (its short name)")
    notify.add_argument(
        "--no-send", action="store_true", help="queue the messages but do not deliver the queue"
    )
    notify.set_defaults(handler=run_send_notifications)


def _deliver(limit: int | None = None) -> int:
    from welcomematch.mail.services import mail_send_pending

    delivery = mail_send_pending(limit=limit)
    print(f"mail: {delivery.sent} sent, {delivery.failed} failed")
    return 1 if delivery.failed else 0


def run_send_mail(args: argparse.Namespace) -> int:
    django_setup()
    return _deliver(args.limit)


def run_send_reminders(args: argparse.Namespace) -> int:
    django_setup()
    from datetime import timedelta

    from django.conf import settings
    from django.core.exceptions import ValidationError
    from django.utils import timezone

    from welcomematch.surveys.models import SurveyWave
    from welcomematch.surveys.services import wave_send_reminders

    if args.every_days < 0:
        print("error: --every-days must be 0 or more", file=sys.stderr)
        return EXIT_BAD_INPUT
    waves = SurveyWave.objects.filter(closes_at__gt=timezone.now()).select_related("programme")
    if args.programme:
        waves = waves.filter(programme__slug=args.programme)
        if (
            not waves.exists()
            and not SurveyWave.objects.filter(programme__slug=args.programme).exists()
        ):
            print(f"error: no survey wave of programme {args.programme!r}", file=sys.stderr)
            return EXIT_BAD_INPUT
    if args.wave is not None:
        waves = waves.filter(pk=args.wave)
    for wave in waves.order_by("pk"):
        try:
            sent = wave_send_reminders(
                wave=wave,
                actor=None,
                base_url=settings.SITE_URL,
                not_since=timedelta(days=args.every_days),
            )
        except ValidationError as error:
            print(f"wave {wave.pk}: {' '.join(error.messages)}", file=sys.stderr)
            continue
        print(
            f"wave {wave.pk} ({wave}): {sent.sent} reminders queued, "
            f"{sent.without_email} without an e-mail address"
        )
    if args.no_send:
        return 0
    return _deliver()


def run_send_notifications(args: argparse.Namespace) -> int:
    django_setup()
    from django.conf import settings

    from welcomematch.notifications.services import notifications_daily
    from welcomematch.programmes.models import Programme

    programmes = Programme.objects.order_by("pk")
    if args.programme:
        programmes = programmes.filter(slug=args.programme)
        if not programmes.exists():
            print(f"error: no programme {args.programme!r}", file=sys.stderr)
            return EXIT_BAD_INPUT
    result = notifications_daily(base_url=settings.SITE_URL, programmes=programmes)
    print(
        f"notifications: {result.first_meeting} first-meeting reminders, "
        f"{result.no_first_meeting} without a first meeting, {result.no_checkin} without a "
        f"check-in, {result.digests} digests; {result.messages} messages queued"
    )
    if args.no_send:
        return 0
    return _deliver()
