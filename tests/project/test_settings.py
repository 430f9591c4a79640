"""Settings come from the environment: SQLite by default, PostgreSQL via DATABASE_URL, and
production refuses to start without a secret key."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

PRINT_SETTINGS = (
    "import json, django; from django.conf import settings; "
    "print(json.dumps({'engine': settings.DATABASES['default']['ENGINE'], "
    "'name': str(settings.DATABASES['default']['NAME']), 'host': settings.DATABASES['default'].get('HOST'), "
    "'debug': settings.DEBUG, 'tz': settings.TIME_ZONE, 'lang': settings.LANGUAGE_CODE, "
    "'languages': [c for c, _ in settings.LANGUAGES], 'hosts': settings.ALLOWED_HOSTS}))"
)


def load_settings(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {"DATABASE_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "WELCOMEMATCH_LOCAL_KEY"}
    }
    clean.update(
        {
            "WELCOMEMATCH_HOME": str(tmp_path / "home"),
            "DJANGO_SETTINGS_MODULE": "welcomematch.settings",
        }
    )
    clean["PYTHONPATH"] = str(REPO)
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS],
        capture_output=True,
        text=True,
        env=clean,
        cwd=tmp_path,
        timeout=60,
    )


def test_default_database_is_an_sqlite_file_under_the_data_directory(tmp_path):
    run = load_settings(tmp_path, SECRET_KEY="k")
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["engine"] == "django.db.backends.sqlite3"
    assert data["name"] == str(tmp_path / "home" / "welcomematch.sqlite3")
    assert data["tz"] == "Europe/Amsterdam"
    assert data["lang"] == "nl"
    assert data["languages"] == ["nl", "en"]
    assert data["debug"] is False


def test_database_url_selects_postgresql(tmp_path):
    run = load_settings(
        tmp_path, SECRET_KEY="k", DATABASE_URL="postgres://postgres@db.example:5433/programme"
    )
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["engine"] == "django.db.backends.postgresql"
    assert data["name"] == "programme"
    assert data["host"] == "db.example"


def test_production_without_secret_key_refuses_to_start(tmp_path):
    run = load_settings(tmp_path)
    assert run.returncode != 0
    assert "SECRET_KEY is not set" in run.stderr


def test_debug_generates_and_keeps_a_development_key(tmp_path):
    first = load_settings(tmp_path, DEBUG="true")
    assert first.returncode == 0, first.stderr
    key_file = tmp_path / "home" / "secret_key.txt"
    key = key_file.read_text()
    assert len(key) >= 50
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    second = load_settings(tmp_path, DEBUG="true")
    assert second.returncode == 0
    assert key_file.read_text() == key


def test_allowed_hosts_and_malformed_booleans(tmp_path):
    run = load_settings(
        tmp_path, SECRET_KEY="k", ALLOWED_HOSTS="match.example.org, www.example.org"
    )
    assert json.loads(run.stdout)["hosts"] == ["match.example.org", "www.example.org"]
    bad = load_settings(tmp_path, SECRET_KEY="k", DEBUG="maybe")
    assert bad.returncode != 0
    assert "DEBUG must be true or false" in bad.stderr
