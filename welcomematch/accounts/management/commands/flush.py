"""Django's ``flush``, able to empty the append-only audit table on SQLite."""

from __future__ import annotations

from typing import Any

from django.core.management.commands.flush import Command as FlushCommand
from django.db import connections

from welcomematch.accounts.appendonly import suspended_for_flush


class Command(FlushCommand):
    def handle(self, **options: Any) -> None:
        with suspended_for_flush(connections[options["database"]]):
            super().handle(**options)
