"""Two coordinators save the same record at once from forms opened at the same moment: one
save wins, the other gets the clean "changed by someone else" refusal; nothing is mixed.

Needs PostgreSQL (row locks, a test database shared between threads): skips on SQLite; the
one-after-the-other case is tested on both databases in ``test_editing.py``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connections

from tests.factories import make_city, make_programme
from tests.intake.answers import household_answers
from welcomematch.intake import questions as q
from welcomematch.intake.models import Household
from welcomematch.intake.services import household_save_answers, postcodes_load_bundled_demo

needs_postgresql = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres:", "postgresql:")),
    reason="races need PostgreSQL's row locks: run with DATABASE_URL=postgres://...",
)


def _simultaneously(calls: list[Callable[[], Any]]) -> list[Any]:
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[i] = call()
        except Exception as error:  # reported by the test, not lost in the thread
            results[i] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@needs_postgresql
def test_two_edits_of_one_household_at_once_one_wins_the_other_is_refused(
    transactional_db: Any,
) -> None:
    import importlib

    from django.apps import apps

    from welcomematch.programmes.models import Category

    if not Category.objects.exists():
        importlib.import_module("welcomematch.programmes.migrations.0002_categories").seed(
            apps, None
        )
    programme = make_programme()
    city = make_city(programme)
    postcodes_load_bundled_demo()
    household = household_save_answers(
        programme=programme, city=city, answers=household_answers(), actor=None
    )
    opened_at = household.updated_at
    saved = q.answers_from_record(
        q.HOUSEHOLD_QUESTIONNAIRE, household, {"persons": household.persons.order_by("id")}
    )

    def edit(hobbies: str, extra_child: bool) -> Household:
        answers = {**saved, "hobbies": hobbies}
        if extra_child:
            answers["persons"] = [*saved["persons"], {"relation": "child", "age": 1}]
        record = Household.objects.get(pk=household.pk)
        return household_save_answers(
            programme=programme,
            city=city,
            answers=answers,
            actor=None,
            household=record,
            expected_updated_at=opened_at,
        )

    results = _simultaneously([lambda: edit("Koken", True), lambda: edit("Voetbal", False)])
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(refused) == 1 and refused[0].code == "stale", results
    won = 0 if isinstance(results[1], ValidationError) else 1
    household.refresh_from_db()
    assert household.hobbies == ("Koken", "Voetbal")[won]
    assert household.persons.count() == (3, 2)[won]
    assert household.changes.count() == 1
