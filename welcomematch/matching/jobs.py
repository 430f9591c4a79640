"""Writers for background round jobs: start a run, a confirmation or a lottery audit, and
carry it out.

A coordinator's request only *starts* a job (:func:`round_job_start`): it checks that the
round may make that move, records a queued :class:`RoundJob` and enqueues a task in the same
transaction. A worker (``welcomematch worker``) then carries it out (:func:`round_job_execute`)
and records each stage it reaches, so the round page can show the progress.

At most one unfinished job per round: checked under the round's lock and enforced by the
database (``roundjob_one_active_per_round``), so two requests, or two workers on two machines,
never run or confirm the same round twice at once. A job that fails leaves the round as it was
(the services it calls write all or nothing) and records the error on the job and in the
audit trail.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from welcomematch.accounts.models import User
from welcomematch.accounts.services import audit_record
from welcomematch.i18n import message
from welcomematch.matching import services
from welcomematch.matching.models import (
    ACTIVE_JOB_STAGES,
    JobKind,
    JobStage,
    MatchingRound,
    RoundJob,
    RoundStatus,
    RoundVariant,
)

ERR_BUSY = _(
    "This round is already being run or confirmed (since %(since)s). Wait until that has "
    "finished; this page shows its progress."
)
ERR_JOB_FAILED = _("The job stopped because of an unexpected error: %(detail)s")

#: The round status each kind of job moves a round to (a lottery audit changes nothing).
TARGET = {JobKind.RUN: RoundStatus.PROPOSED, JobKind.CONFIRM: RoundStatus.CONFIRMED}
#: The stage a worker records when it takes a job of each kind.
FIRST_STAGE = {
    JobKind.RUN: JobStage.BUILDING,
    JobKind.CONFIRM: JobStage.CONFIRMING,
    JobKind.AUDIT: JobStage.AUDITING,
}


def _busy_error(job: RoundJob | None) -> ValidationError:
    since = timezone.localtime(job.created_at).strftime("%H:%M") if job else "?"
    return ValidationError(message(ERR_BUSY, since=since), code="round_busy")


def round_job_start(
    *, round: MatchingRound, kind: JobKind, actor: User | None, draws: int | None = None
) -> RoundJob:
    """Queue a run, a confirmation or a lottery audit (over ``draws`` draws) of ``round``;
    refused while another job is unfinished, when the round cannot make the move (a
    confirmed round cannot run again) or, for an audit, has not run."""
    from welcomematch.matching.tasks import execute_round_job

    if kind == JobKind.AUDIT:
        draws = services.check_audit_draws(draws)
    try:
        with transaction.atomic():
            locked = (
                MatchingRound.objects.select_for_update()
                .defer("round_file", "result_file")
                .get(pk=round.pk)
            )
            if kind == JobKind.AUDIT:
                services.check_auditable(round=locked)
            else:
                services.check_transition(round=locked, target=TARGET[kind])
            active = RoundJob.objects.filter(round=locked, stage__in=ACTIVE_JOB_STAGES).first()
            if active is not None:
                raise _busy_error(active)
            job = RoundJob(round=locked, kind=kind, created_by=actor, draws=draws)
            job.stages = [[JobStage.QUEUED.value, timezone.now().isoformat()]]
            job.save()
            audit_record(
                actor=actor,
                action=f"round.{kind}_queued",
                obj=locked,
                data={"job": job.pk, **({"draws": draws} if draws is not None else {})},
            )
            # In the job's transaction: a worker sees the task only once the job row is
            # committed with it. (The immediate backend, used by tests, runs it right here.)
            result = execute_round_job.enqueue(job_id=job.pk)
            RoundJob.objects.filter(pk=job.pk).update(task_id=str(result.id))
    except IntegrityError as error:
        # Two requests passed the check at the same moment (no row lock on SQLite): the
        # database let only one of them record its job.
        raise _busy_error(
            RoundJob.objects.filter(round=round, stage__in=ACTIVE_JOB_STAGES).first()
        ) from error
    job.refresh_from_db()
    return job


def _reach(job: RoundJob, stage: str) -> None:
    """Record that ``job`` reached ``stage``, committed at once so the page can show it."""
    if job.stage == stage:
        return
    job.stage = stage
    job.stages = [*job.stages, [stage, timezone.now().isoformat()]]
    RoundJob.objects.filter(pk=job.pk).update(stage=job.stage, stages=job.stages)


def round_job_execute(*, job_id: int) -> bool:
    """Carry out a queued job. Returns False when the job was not queued any more (another
    worker took it, or it finished); True when this call carried it out, failed or not."""
    with transaction.atomic():
        job = RoundJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.stage != JobStage.QUEUED:
            return False
        _reach(job, FIRST_STAGE[JobKind(job.kind)])
    # The services read what they need themselves: not the stored files (megabytes) here.
    round = MatchingRound.objects.defer("round_file", "result_file").get(pk=job.round_id)
    actor = job.created_by
    try:
        if job.kind == JobKind.RUN:
            services.round_run(round=round, actor=actor, progress=lambda s: _reach(job, s))
        elif job.kind == JobKind.AUDIT:
            services.round_lottery_audit(round=round, draws=job.draws or 0, actor=actor)
        else:
            services.round_confirm(round=round, actor=actor)
    except ValidationError as error:
        _fail(job, " ".join(str(m) for m in error.messages))
    except Exception as error:  # the page must say what happened, whatever it was
        _fail(job, message(ERR_JOB_FAILED, detail=f"{type(error).__name__}: {error}"))
        raise
    else:
        _reach(job, JobStage.DONE)
        RoundJob.objects.filter(pk=job.pk).update(finished_at=timezone.now())
    return True


def _fail(job: RoundJob, error: str) -> None:
    with transaction.atomic():
        _reach(job, JobStage.FAILED)
        RoundJob.objects.filter(pk=job.pk).update(error=error, finished_at=timezone.now())
        audit_record(
            actor=job.created_by,
            action=f"round.{job.kind}_failed",
            obj=job.round,
            data={"job": job.pk, "error": error},
        )


def round_variant_adopt(*, variant: RoundVariant, actor: User | None) -> RoundJob:
    """Adopt a variant as the round's result: the round takes the variant's settings and is run
    again with them (as a background job, like any run), all in one transaction — if the run
    cannot be started (another job is under way), the settings stay as they were."""
    with transaction.atomic():
        round = services.round_adopt_settings(round=variant.round, variant=variant, actor=actor)
        return round_job_start(round=round, kind=JobKind.RUN, actor=actor)
