"""Test-wide configuration: a throw-away data directory and a fixed secret key."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "tests-only-not-secret")
os.environ.setdefault("WELCOMEMATCH_HOME", tempfile.mkdtemp(prefix="welcomematch-tests-"))
