"""EMAIL_URL configures SMTP (STARTTLS on 587); without it mail goes to files, never lost."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

CODE = (
    "from django.conf import settings as s; "
    "print(s.EMAIL_BACKEND, s.EMAIL_HOST if hasattr(s, 'EMAIL_HOST') else '', "
    "getattr(s, 'EMAIL_PORT', ''), getattr(s, 'EMAIL_USE_TLS', ''), "
    "getattr(s, 'EMAIL_HOST_USER', ''), s.EMAIL_FILE_PATH, s.DEFAULT_FROM_EMAIL)"
)


def _settings(tmp_path, **env: str) -> list[str]:
    environment = {
        **os.environ,
        "SECRET_KEY": "x",
        "WELCOMEMATCH_HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "welcomematch.settings",
        **env,
    }
    if "EMAIL_URL" not in env:
        environment.pop("EMAIL_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + CODE],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.split()


@pytest.mark.parametrize(
    ("url", "tls"),
    [
        ("smtp://mailer:geheim@smtp.example.org:587", "True"),
        ("smtp://smtp.example.org:25", "False"),
    ],
)
def test_email_url_configures_smtp(tmp_path, url: str, tls: str) -> None:
    backend, host, port, use_tls, *_rest = _settings(tmp_path, EMAIL_URL=url)
    assert backend == "django.core.mail.backends.smtp.EmailBackend"
    assert host == "smtp.example.org" and use_tls == tls
    assert port == url.rsplit(":", 1)[1]


def test_without_email_url_mail_is_written_under_the_data_directory(tmp_path) -> None:
    values = _settings(tmp_path, DEFAULT_FROM_EMAIL="programma@example.org")
    assert values[0] == "welcomematch.mail.backends.FileBackend"
    assert str(tmp_path / "mail") in values
    assert values[-1] == "programma@example.org"
