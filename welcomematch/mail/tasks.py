"""The background task that delivers the mail queue, run by ``welcomematch worker``.

:func:`welcomematch.mail.services.mail_enqueue` enqueues it once the queuing transaction has
committed, so mail leaves without a request waiting on a mail server and without cron; the
``send-mail`` command stays for installations that deliver by cron.
"""

from __future__ import annotations

from django_tasks import task

from welcomematch.mail import services


@task()
def deliver_mail() -> int:
    """Deliver the queued messages; returns how many were sent."""
    return services.mail_send_pending().sent
