"""A round run by a real background worker, watched in Chromium without reloading the page."""

from __future__ import annotations

import threading

import pytest
from django.db import connections
from django.test import override_settings
from django_tasks_db.management.commands.db_worker import Worker

from tests.browser.conftest import log_in
from tests.factories import PASSWORD, make_city, make_group, make_household, make_programme
from welcomematch.accounts.models import Role
from welcomematch.accounts.services import user_create
from welcomematch.matching import services
from welcomematch.matching.models import MatchingRound, RoundStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _one_task_worker() -> threading.Thread:
    """django-tasks-db's own worker, in a thread, carrying out one task and then stopping."""
    worker = Worker(
        queue_names=["default"],
        interval=0.2,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=1,
        worker_id="browser-test-worker",
        excluded_queue_names=[],
    )

    def run() -> None:
        try:
            worker.run()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@override_settings(
    TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
)
def test_coordinator_watches_a_round_run_and_confirm_in_the_background(page):
    programme = make_programme()
    city = make_city(programme)
    coordinator = user_create(
        username="carla", password=PASSWORD, role=Role.COORDINATOR, programme=programme
    )
    make_group(city, willingness=2, experience=2, name="De Buren")
    make_household(city, lat=52.375, lon=5.234, contact_name="Amal")
    rnd = services.round_create(programme=programme, name="Ronde 1", actor=coordinator, seed=5)

    log_in(page, "carla", PASSWORD)
    page.goto(f"/rounds/{rnd.pk}/")
    page.click("button[name=run]")
    # Queued: the page says so and offers no second run while it waits.
    page.wait_for_selector("#round-job li.current:has-text('Wacht op een verwerker')")
    assert page.query_selector("button[name=run]") is None
    worker = _one_task_worker()
    # No reload by the test: the page follows the job and shows the result when it is done.
    page.wait_for_selector("#round-status:has-text('Voorgesteld')", timeout=30_000)
    assert page.query_selector("#pairs") is not None
    worker.join(timeout=30)
    assert MatchingRound.objects.get(pk=rnd.pk).status == RoundStatus.PROPOSED

    page.get_by_role("link", name="Bevestigen…").click()
    page.click("button[name=confirm]")
    page.wait_for_selector("#round-job:has-text('Wacht op een verwerker')")
    worker = _one_task_worker()
    page.wait_for_selector("#round-status:has-text('Bevestigd')", timeout=30_000)
    worker.join(timeout=30)
    assert MatchingRound.objects.get(pk=rnd.pk).status == RoundStatus.CONFIRMED
