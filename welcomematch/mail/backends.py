"""The e-mail backend used without ``EMAIL_URL``: one ``.eml`` file per message."""

from __future__ import annotations

import datetime
import os
import uuid

from django.core.mail.backends.filebased import EmailBackend


class FileBackend(EmailBackend):
    """Django's file backend, but every connection gets a unique ``.eml`` file name.

    Django's own names files by time and ``id(self)``, which can repeat within a second; the
    mail queue opens one connection per message, so each message lands in its own file that a
    mail program opens directly.
    """

    def _get_filename(self) -> str:
        if self._fname is None:  # type: ignore[has-type]
            stamp = datetime.datetime.now(tz=datetime.UTC).strftime("%Y%m%d-%H%M%S")
            folder = str(self.file_path)  # type: ignore[attr-defined]
            self._fname = os.path.join(folder, f"{stamp}-{uuid.uuid4().hex[:12]}.eml")
        return str(self._fname)
