"""Writers of the mail queue: queue a message in the recipient's language, deliver the queue.

Every part of the product sends e-mail the same way: render with :func:`render_message` (the
subject, a plain-text part and optionally an HTML part, in the recipient's language), queue
with :func:`mail_enqueue` inside the service's transaction, and let ``welcomematch send-mail``
(run by cron) deliver through Django's e-mail framework: SMTP when ``EMAIL_URL`` is set, files
under ``$WELCOMEMATCH_HOME/mail/`` otherwise. Queuing also schedules the delivery task
(:mod:`welcomematch.mail.tasks`) once the transaction commits, so a running worker delivers
the message within moments; ``send-mail`` by cron delivers whatever is left.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, models, transaction
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone, translation

from welcomematch.mail.models import OutgoingMessage

#: A message that failed this many times is left for a person to look at.
MAX_ATTEMPTS = 5

ERR_NO_LANGUAGE = "A message needs the recipient's language."


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render_message(*, template: str, context: dict[str, Any], language: str) -> Rendered:
    """Render ``<template>_subject.txt``, ``<template>.txt`` and (if present) ``<template>.html``
    in ``language``."""
    with translation.override(language):
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        text = render_to_string(f"{template}.txt", context).strip() + "\n"
        try:
            html: str = render_to_string(f"{template}.html", context)
        except TemplateDoesNotExist:
            html = ""
    return Rendered(subject=subject, text=text, html=html)


def mail_enqueue(
    *,
    to: str,
    rendered: Rendered,
    language: str,
    purpose: str,
    about: models.Model | None = None,
) -> OutgoingMessage:
    """Queue one message; call inside the caller's transaction so it is queued with its cause."""
    if not language:
        raise ValidationError(ERR_NO_LANGUAGE)
    message = OutgoingMessage(
        to=to,
        subject=rendered.subject[:300],
        body_text=rendered.text,
        body_html=rendered.html,
        language=language,
        purpose=purpose,
        object_type=about._meta.label_lower if about is not None else "",
        object_id=str(about.pk) if about is not None else "",
    )
    message.full_clean()
    message.save()
    _schedule_delivery()
    return message


def _enqueue_delivery() -> None:
    from welcomematch.mail.tasks import deliver_mail

    deliver_mail.enqueue()


def _schedule_delivery() -> None:
    """Enqueue the delivery task after the current transaction commits, once per transaction
    however many messages it queues (nothing is enqueued when it rolls back)."""
    pending = getattr(connection, "run_on_commit", [])
    if connection.in_atomic_block and any(entry[1] is _enqueue_delivery for entry in pending):
        return
    transaction.on_commit(_enqueue_delivery)


@dataclass(frozen=True)
class Delivery:
    sent: int
    failed: int


def mail_send_pending(*, limit: int | None = None) -> Delivery:
    """Deliver queued messages, oldest first, each in its own transaction.

    A message is locked while it is sent (``skip_locked`` on PostgreSQL), so two runs of the
    command at once never send it twice. A failure is recorded on the message and retried by the
    next run, up to :data:`MAX_ATTEMPTS` times.
    """
    sent = failed = 0
    pending = OutgoingMessage.objects.filter(sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
    ids = list(pending.order_by("created_at", "id").values_list("pk", flat=True)[:limit])
    # The file backend writes one file per connection: a connection per message gives one file
    # per message under $WELCOMEMATCH_HOME/mail/. SMTP keeps one connection for the run.
    one_file_each = settings.EMAIL_BACKEND.endswith("FileBackend")
    shared = None if one_file_each else get_connection()
    for pk in ids:
        connection = shared or get_connection()
        with transaction.atomic():
            message = (
                OutgoingMessage.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, sent_at__isnull=True)
                .first()
            )
            if message is None:
                continue
            email = EmailMultiAlternatives(
                subject=message.subject,
                body=message.body_text,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[message.to],
                connection=connection,
                headers={"Content-Language": message.language},
            )
            if message.body_html:
                email.attach_alternative(message.body_html, "text/html")
            message.attempts += 1
            try:
                email.send()
            except Exception as error:  # an SMTP or file error: keep the message for a retry
                message.last_error = f"{type(error).__name__}: {error}"[:2000]
                message.save(update_fields=["attempts", "last_error"])
                failed += 1
                continue
            message.sent_at = timezone.now()
            message.last_error = ""
            message.save(update_fields=["attempts", "sent_at", "last_error"])
            sent += 1
    return Delivery(sent=sent, failed=failed)
