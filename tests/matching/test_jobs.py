"""Running and confirming rounds in the background: queue, worker, progress, failure, guards.

These tests use django-tasks' database backend and its real worker (``db_worker``), as
production does; the rest of the suite runs tasks where they are enqueued.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test import override_settings
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from tests.matching.test_views import client_for, world  # noqa: F401 (fixture)
from welcomematch.accounts.models import AuditEvent, Role
from welcomematch.lifecycle.models import Match
from welcomematch.matching import jobs, services
from welcomematch.matching.models import JobKind, JobStage, MatchingRound, RoundJob, RoundStatus

DATABASE_TASKS = override_settings(
    TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
)


def run_worker() -> None:
    """The real worker, until the queue is empty. Tests that call it run in autocommit mode
    (``transaction=True``), as a worker process does: the worker closes any connection it finds
    inside a transaction."""
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", verbosity=0)


def new_round(world: dict[str, Any], **kw: Any) -> MatchingRound:  # noqa: F811
    kw.setdefault("seed", 11)
    return services.round_create(
        programme=world["programme"], name="Ronde", actor=world["coordinator"], **kw
    )


@pytest.mark.django_db
@DATABASE_TASKS
def test_starting_a_run_only_queues_it_until_a_worker_takes_it(world):  # noqa: F811
    rnd = new_round(world)
    job = jobs.round_job_start(round=rnd, kind=JobKind.RUN, actor=world["coordinator"])
    assert job.stage == JobStage.QUEUED
    rnd.refresh_from_db()
    assert rnd.status == RoundStatus.DRAFT
    task = DBTaskResult.objects.get()
    assert task.args_kwargs["kwargs"] == {"job_id": job.pk}
    assert job.task_id == str(task.id)
    assert AuditEvent.objects.filter(action="round.run_queued", object_id=str(rnd.pk)).exists()


@pytest.mark.django_db(transaction=True)
@DATABASE_TASKS
def test_a_worker_runs_the_round_and_records_each_stage_in_order(world):  # noqa: F811
    rnd = new_round(world, control_arm=True)
    job = jobs.round_job_start(round=rnd, kind=JobKind.RUN, actor=world["coordinator"])
    run_worker()
    rnd.refresh_from_db()
    job.refresh_from_db()
    assert rnd.status == RoundStatus.PROPOSED
    assert rnd.result_file["summary"]["matched"] == 1
    assert [stage for stage, _when in job.stages] == [
        "queued",
        "building",
        "solving",
        "storing",
        "done",
    ]
    assert job.stage == JobStage.DONE and job.finished_at is not None and job.error == ""
    run = AuditEvent.objects.get(action="round.run", object_id=str(rnd.pk))
    assert run.actor == world["coordinator"]


@pytest.mark.django_db(transaction=True)
@DATABASE_TASKS
def test_a_worker_confirms_a_proposed_round(world):  # noqa: F811
    rnd = services.round_run(round=new_round(world), actor=world["coordinator"])
    job = jobs.round_job_start(round=rnd, kind=JobKind.CONFIRM, actor=world["coordinator"])
    run_worker()
    rnd.refresh_from_db()
    job.refresh_from_db()
    assert rnd.status == RoundStatus.CONFIRMED
    assert Match.objects.filter(round=rnd).count() == 1
    assert [stage for stage, _when in job.stages] == ["queued", "confirming", "done"]


@pytest.mark.django_db(transaction=True)
@DATABASE_TASKS
def test_a_failed_run_leaves_the_round_as_it_was_and_says_why_on_the_page(world):  # noqa: F811
    rnd = new_round(world)
    # Everyone withdraws after the round was created: nobody is ready to match any more.
    world["group"].withdrawn_at = world["group"].intake_completed_at
    world["group"].save()
    job = jobs.round_job_start(round=rnd, kind=JobKind.RUN, actor=world["coordinator"])
    run_worker()
    rnd.refresh_from_db()
    job.refresh_from_db()
    assert rnd.status == RoundStatus.DRAFT
    assert rnd.round_file is None and not rnd.proposals.exists()
    assert job.stage == JobStage.FAILED
    assert str(services.ERR_NO_GROUPS) in job.error
    failed = AuditEvent.objects.get(action="round.run_failed", object_id=str(rnd.pk))
    assert failed.data["error"] == job.error
    client = client_for(world, Role.COORDINATOR)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("matching:round_detail", args=[rnd.pk])).content.decode()
    assert "The last attempt failed; the round is as it was before." in page
    assert str(services.ERR_NO_GROUPS) in page
    # A new attempt may start after a failure.
    assert jobs.round_job_start(round=rnd, kind=JobKind.RUN, actor=None).stage == "queued"


@pytest.mark.django_db
@DATABASE_TASKS
def test_a_round_cannot_be_run_or_confirmed_while_a_job_is_unfinished(world):  # noqa: F811
    rnd = services.round_run(round=new_round(world), actor=world["coordinator"])
    jobs.round_job_start(round=rnd, kind=JobKind.RUN, actor=world["coordinator"])
    for kind in (JobKind.RUN, JobKind.CONFIRM):
        with pytest.raises(ValidationError) as refused:
            jobs.round_job_start(round=rnd, kind=kind, actor=world["coordinator"])
        assert refused.value.code == "round_busy"
    assert RoundJob.objects.filter(round=rnd).count() == 1
    # The page hides the buttons while the job is unfinished and follows its progress.
    page = client_for(world, Role.COORDINATOR).get(reverse("matching:round_detail", args=[rnd.pk]))
    assert not page.context["can_run"] and not page.context["can_confirm"]
    assert 'data-active="true"' in page.content.decode()


@pytest.mark.django_db
@DATABASE_TASKS
def test_a_move_the_round_cannot_make_is_refused_before_queueing(world):  # noqa: F811
    rnd = new_round(world)
    with pytest.raises(ValidationError) as refused:
        jobs.round_job_start(round=rnd, kind=JobKind.CONFIRM, actor=None)
    assert refused.value.code == "invalid_transition"
    assert not RoundJob.objects.exists() and not DBTaskResult.objects.exists()


@pytest.mark.django_db
def test_the_database_holds_at_most_one_unfinished_job_per_round(world):  # noqa: F811
    rnd = new_round(world)
    RoundJob.objects.create(round=rnd, kind=JobKind.RUN)
    with pytest.raises(IntegrityError), transaction.atomic():
        RoundJob.objects.create(round=rnd, kind=JobKind.CONFIRM, stage=JobStage.SOLVING)
    # Finished jobs do not count.
    RoundJob.objects.create(round=rnd, kind=JobKind.RUN, stage=JobStage.FAILED)
    RoundJob.objects.create(round=rnd, kind=JobKind.RUN, stage=JobStage.DONE)


@pytest.mark.django_db
@DATABASE_TASKS
def test_a_job_is_carried_out_once_when_two_workers_get_it(world):  # noqa: F811
    rnd = new_round(world)
    job = jobs.round_job_start(round=rnd, kind=JobKind.RUN, actor=None)
    assert jobs.round_job_execute(job_id=job.pk) is True
    assert jobs.round_job_execute(job_id=job.pk) is False
    assert AuditEvent.objects.filter(action="round.run", object_id=str(rnd.pk)).count() == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="races need PostgreSQL's row locks: run with DATABASE_URL=postgres://...",
)
@pytest.mark.django_db(transaction=True)
@DATABASE_TASKS
def test_two_simultaneous_requests_start_one_job_and_refuse_the_other(world):  # noqa: F811
    rnd = new_round(world)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def start() -> None:
        try:
            barrier.wait(timeout=10)
            jobs.round_job_start(round=rnd, kind=JobKind.RUN, actor=None)
            outcomes.append("started")
        except ValidationError as error:
            outcomes.append(str(error.code))
        finally:
            connection.close()

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["round_busy", "started"]
    assert RoundJob.objects.filter(round=rnd).count() == 1
    assert DBTaskResult.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@DATABASE_TASKS
def test_the_progress_poll_reports_the_stage_in_words(world):  # noqa: F811
    rnd = new_round(world)
    client = client_for(world, Role.COORDINATOR)
    client.cookies["django_language"] = "en"
    url = reverse("matching:round_job_status", args=[rnd.pk])
    assert client.get(url).json() == {"job": None}
    client.post(reverse("matching:round_run", args=[rnd.pk]))
    data = client.get(url).json()
    assert (data["kind"], data["stage"], data["active"]) == ("run", "queued", True)
    assert data["stage_label"] == "Waiting for a worker"
    assert [s["state"] for s in data["steps"]] == ["current", "todo", "todo", "todo"]
    run_worker()
    data = client.get(url).json()
    assert (data["stage"], data["active"]) == ("done", False)
    assert [s["state"] for s in data["steps"]] == ["done"] * 4
    for role in (Role.AMBASSADOR, Role.RESEARCHER):
        assert client_for(world, role).get(url).status_code == 403


@pytest.mark.django_db(transaction=True)
@DATABASE_TASKS
def test_the_worker_command_carries_out_what_is_queued(world):  # noqa: F811
    from welcomematch.cli import main

    rnd = new_round(world)
    jobs.round_job_start(round=rnd, kind=JobKind.RUN, actor=None)
    assert main(["worker", "--batch"]) == 0
    rnd.refresh_from_db()
    assert rnd.status == RoundStatus.PROPOSED


def test_the_console_command_runs_as_a_module_for_worker_processes():
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "welcomematch.cli", "worker", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "carry out the queued background tasks" in done.stdout.lower()
