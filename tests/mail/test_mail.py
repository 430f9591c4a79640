"""The mail queue: messages in the recipient's language, plain text first, files without SMTP."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path

import pytest
from django.core import mail as django_mail
from django.core.mail.backends.smtp import EmailBackend

from welcomematch.cli import main
from welcomematch.mail.models import OutgoingMessage
from welcomematch.mail.services import (
    MAX_ATTEMPTS,
    Rendered,
    mail_enqueue,
    mail_send_pending,
)

pytestmark = pytest.mark.django_db

FILE_BACKEND = "welcomematch.mail.backends.FileBackend"


def _queue(n: int = 1, language: str = "nl") -> None:
    for i in range(n):
        mail_enqueue(
            to=f"p{i}@example.org",
            rendered=Rendered(subject=f"Onderwerp {i}", text=f"Tekst {i}\n", html=f"<p>{i}</p>"),
            language=language,
            purpose="test",
        )


def _read(path: Path) -> email.message.EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=policy.default)  # type: ignore[return-value]


def test_without_email_url_each_message_becomes_a_file_with_a_plain_text_part(
    settings, tmp_path: Path
) -> None:
    settings.EMAIL_BACKEND = FILE_BACKEND
    settings.EMAIL_FILE_PATH = str(tmp_path)
    _queue(2)
    delivery = mail_send_pending()
    assert (delivery.sent, delivery.failed) == (2, 0)
    files = sorted(tmp_path.iterdir())
    assert len(files) == 2
    message = _read(files[0])
    assert message["Content-Language"] == "nl"
    assert message.get_body(preferencelist=("plain",)).get_content().startswith("Tekst")
    assert "<p>" in message.get_body(preferencelist=("html",)).get_content()
    assert OutgoingMessage.objects.filter(sent_at__isnull=False).count() == 2
    # a second run sends nothing again
    assert mail_send_pending().sent == 0


class Broken(EmailBackend):
    def send_messages(self, email_messages):  # type: ignore[no-untyped-def]
        raise ConnectionRefusedError("no SMTP server")


def test_a_failure_is_kept_for_the_next_run_and_never_lost(settings) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.Broken"
    _queue(1)
    delivery = mail_send_pending()
    assert (delivery.sent, delivery.failed) == (0, 1)
    message = OutgoingMessage.objects.get()
    assert message.sent_at is None and "no SMTP server" in message.last_error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert mail_send_pending().sent == 1
    assert len(django_mail.outbox) == 1


def test_a_message_that_keeps_failing_is_left_for_a_person(settings) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.Broken"
    _queue(1)
    for _ in range(MAX_ATTEMPTS + 2):
        mail_send_pending()
    assert OutgoingMessage.objects.get().attempts == MAX_ATTEMPTS


def test_send_mail_command_delivers_the_queue(settings, tmp_path: Path, capsys) -> None:
    settings.EMAIL_BACKEND = FILE_BACKEND
    settings.EMAIL_FILE_PATH = str(tmp_path)
    _queue(3, language="en")
    assert main(["send-mail"]) == 0
    assert "3 sent" in capsys.readouterr().out
    assert len(list(tmp_path.iterdir())) == 3


def test_queuing_schedules_one_delivery_task_after_the_commit(
    settings, tmp_path: Path, django_capture_on_commit_callbacks
) -> None:
    settings.EMAIL_BACKEND = FILE_BACKEND
    settings.EMAIL_FILE_PATH = str(tmp_path)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _queue(3)
        # nothing leaves before the commit
        assert not list(tmp_path.iterdir())
    # one task for the transaction, run by the tests' immediate task backend
    assert len(callbacks) == 1
    assert len(list(tmp_path.iterdir())) == 3
    assert not OutgoingMessage.objects.filter(sent_at__isnull=True).exists()


def test_the_delivery_task_delivers_the_queue(settings, tmp_path: Path) -> None:
    from welcomematch.mail.tasks import deliver_mail

    settings.EMAIL_BACKEND = FILE_BACKEND
    settings.EMAIL_FILE_PATH = str(tmp_path)
    _queue(2)
    result = deliver_mail.enqueue()
    assert result.return_value == 2
    assert len(list(tmp_path.iterdir())) == 2
