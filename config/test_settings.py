"""Test settings: the same configuration as the running app, with a fast password hasher."""

import os
import tempfile
from pathlib import Path

from config.settings import *  # noqa: F403
from config.settings import DATABASES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not shared-cache memory: threads then wait for the write lock like the app does.
    # One file per test process, so that parallel checkouts never share it.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"kernteam-test-{os.getpid()}.sqlite3")
    }

# Tests seed throwaway test databases, PostgreSQL included.
KERNTEAM_DEMO_ALLOWED = True

# The browser tests' servers run with DEBUG off, as in production; WhiteNoise then serves the
# static files straight from the apps (no collectstatic needed for a test run).
WHITENOISE_USE_FINDERS = True
