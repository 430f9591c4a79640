"""Settings for the test suite: the real settings, with a throw-away data directory and key.

pytest-django imports this before any conftest runs, so the environment is set here.
"""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "tests-only-not-secret")
os.environ.setdefault("WELCOMEMATCH_HOME", tempfile.mkdtemp(prefix="welcomematch-tests-"))

from welcomematch.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Tasks run where they are enqueued (django-tasks' own immediate backend), so a test that posts
# "run" sees the outcome at once; tests/matching/test_jobs.py uses the database backend and a
# real worker.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
