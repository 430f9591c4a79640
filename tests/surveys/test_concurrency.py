"""Two saves of the same survey at once (two tabs, a double tap): one response, no error."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from tests.surveys.conftest import BASE_URL
from welcomematch.surveys import services
from welcomematch.surveys.models import Answer, Response

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL (SQLite has none)"
)
def test_concurrent_first_saves_make_one_response(world):
    opened = services.wave_open(
        programme=world.programme, moment="midterm", actor=world.coordinator, base_url=BASE_URL
    )
    respondent = next(r for r, _ in opened.links if r.side == "newcomer")
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def save(level: str) -> None:
        try:
            barrier.wait()
            services.response_save_page(
                respondent=respondent, answers={"dutch_cefr": level}, page=1
            )
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save, args=(level,)) for level in ("A1", "B2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Response.objects.filter(respondent=respondent).count() == 1
    assert Answer.objects.get(item_code="dutch_cefr").value in ("A1", "B2")
