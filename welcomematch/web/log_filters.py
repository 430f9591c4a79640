"""Logging filters of the site."""

from __future__ import annotations

import logging


class RefusedWithoutTraceback(logging.Filter):
    """A refused request (403) is logged as one line: the refusal is the product working, not a
    fault, so its exception carries no traceback worth a reader's time."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True
