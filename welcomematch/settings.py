"""Django settings, driven by environment variables (see the README's configuration table)."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
import dj_email_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        number = float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}") from None
    if not number > 0:
        raise ImproperlyConfigured(f"{name} must be more than 0, not {value!r}")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


#: Where the SQLite database, the generated development key and uploads live.
HOME = Path(os.environ.get("WELCOMEMATCH_HOME", "welcomematch-data")).resolve()

DEBUG = env_bool("DEBUG", default=False)
#: Set by the console command for commands that serve no requests from the network (import,
#: intake-form, manage migrate, serve on a loopback address): they use the generated key in
#: WELCOMEMATCH_HOME. The WSGI application (production) never sets it.
LOCAL_KEY = env_bool("WELCOMEMATCH_LOCAL_KEY", default=False)


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY", "")
    if key:
        return key
    if not DEBUG and not LOCAL_KEY:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Production refuses to start without one: set SECRET_KEY "
            "to a long random string, or set DEBUG=true for a local development key."
        )
    HOME.mkdir(parents=True, exist_ok=True)
    key_file = HOME / "secret_key.txt"
    if key_file.exists():
        return key_file.read_text(encoding="utf-8").strip()
    key = secrets.token_urlsafe(50)
    key_file.write_text(key, encoding="utf-8")
    key_file.chmod(0o600)
    return key


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else ["127.0.0.1", "localhost"]
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "welcomematch.accounts",
    "welcomematch.programmes",
    "welcomematch.intake",
    "welcomematch.matching",
    "welcomematch.trial",
    "welcomematch.lifecycle",
    "welcomematch.surveys",
    "welcomematch.participants",
    "welcomematch.reports",
    "welcomematch.mail",
    "welcomematch.notifications",
    "welcomematch.web",
    "welcomematch.privacy",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "welcomematch.accounts.middleware.NoStoreMiddleware",
    "welcomematch.accounts.middleware.AuditRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "welcomematch.urls"
WSGI_APPLICATION = "welcomematch.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "welcomematch.web.context_processors.navigation",
            ],
        },
    }
]


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url:
        return url
    HOME.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{HOME / 'welcomematch.sqlite3'}"


DATABASES = {"default": dj_database_url.parse(_database_url(), conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    # Write transactions one at a time (SQLite has no row locks): a transaction takes the
    # write lock when it begins, so "read, then write" in a service cannot interleave.
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Nederlands")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Amsterdam")
USE_I18N = True
#: One date format per language (``|date:"DATE_FORMAT"``, ``"DATETIME_FORMAT"``).
FORMAT_MODULE_PATH = ["welcomematch.formats"]
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", str(HOME / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = HOME / "media"

SESSION_COOKIE_HTTPONLY = True
#: One switch for production behind HTTPS: secure cookies, HSTS and the redirect to https://.
#: ``SECURE_COOKIES=true`` (the older, narrower setting) still makes the cookies secure.
HTTPS = env_bool("HTTPS", default=False)
SESSION_COOKIE_SECURE = HTTPS or env_bool("SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 31_536_000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if env_bool("TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
#: Sessions end after this many hours without a request, and when the browser closes.
SESSION_IDLE_HOURS = env_float("SESSION_IDLE_HOURS", 8.0)
SESSION_COOKIE_AGE = max(60, int(SESSION_IDLE_HOURS * 3600))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

#: Login throttling (django-axes): after this many wrong passwords for one user name from one
#: address, logins from there are refused for LOGIN_LOCKOUT_MINUTES.
AUTHENTICATION_BACKENDS = [
    "welcomematch.accounts.backends.ThrottledLoginBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_float("LOGIN_LOCKOUT_MINUTES", 15.0))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

#: Audit events are kept this many days (default: seven years), then deleted by
#: ``welcomematch retention apply``; never less than a year.
AUDIT_RETENTION_DAYS = max(365, env_int("AUDIT_RETENTION_DAYS", 7 * 365))

#: Retention periods (days) applied by ``welcomematch retention apply``: participants who left
#: or whose match closed are erased (pseudonymised) after RETENTION_PARTICIPANT_DAYS; unused
#: invitation links, survey uploads and login attempts are deleted after theirs.
RETENTION_PARTICIPANT_DAYS = env_int("RETENTION_PARTICIPANT_DAYS", 2 * 365)
RETENTION_INVITATION_DAYS = env_int("RETENTION_INVITATION_DAYS", 90)
RETENTION_IMPORT_DAYS = env_int("RETENTION_IMPORT_DAYS", 30)
RETENTION_LOGIN_ATTEMPT_DAYS = env_int("RETENTION_LOGIN_ATTEMPT_DAYS", 90)

#: Content Security Policy (django-csp): only this site's own scripts, styles and images; no
#: inline script or style, no outside origins, no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"refused": {"()": "welcomematch.web.log_filters.RefusedWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    # A 403 (PermissionDenied) is logged as one warning line, without a traceback.
    "loggers": {"django.request": {"filters": ["refused"]}},
}
AUTH_USER_MODEL = "accounts.User"

#: Background work (running and confirming rounds, ...) goes through Django's tasks framework
#: (the django-tasks backport) with its database backend: `welcomematch worker` runs the tasks.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# E-mail: one mechanism for the whole product (welcomematch.mail queues, `send-mail` delivers).
# EMAIL_URL configures SMTP (smtp://user:password@host:587 uses STARTTLS, smtps://...:465 SSL);
# without it every message is written as a file under $WELCOMEMATCH_HOME/mail/, never lost.
EMAIL_URL = os.environ.get("EMAIL_URL", "")
if EMAIL_URL:
    _email = dj_email_url.parse(EMAIL_URL)
    EMAIL_BACKEND = _email["EMAIL_BACKEND"]
    EMAIL_HOST = _email["EMAIL_HOST"]
    EMAIL_PORT = _email["EMAIL_PORT"]
    EMAIL_HOST_USER = _email["EMAIL_HOST_USER"]
    EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"]
    EMAIL_USE_SSL = bool(_email["EMAIL_USE_SSL"])
    EMAIL_USE_TLS = bool(_email["EMAIL_USE_TLS"]) or (EMAIL_PORT == 587 and not EMAIL_USE_SSL)
    EMAIL_TIMEOUT = _email["EMAIL_TIMEOUT"] or 30
else:
    EMAIL_BACKEND = "welcomematch.mail.backends.FileBackend"
EMAIL_FILE_PATH = str(HOME / "mail")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "welcomematch <noreply@localhost>")
#: The address people reach the site at, for links in e-mail sent outside a request.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
