"""Background tasks of matching rounds, run by ``welcomematch worker`` (Django's tasks framework).

Tasks are thin: they carry a job id and call the job service, which holds the logic.
"""

from __future__ import annotations

from django_tasks import task

from welcomematch.matching import jobs


@task()
def execute_round_job(job_id: int) -> bool:
    """Run or confirm a round as its queued :class:`~welcomematch.matching.models.RoundJob` says."""
    return jobs.round_job_execute(job_id=job_id)
