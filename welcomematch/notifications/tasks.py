"""Background tasks of the notifications, run by ``welcomematch worker``."""

from __future__ import annotations

from django.db import transaction
from django_tasks import task

from welcomematch.lifecycle.models import Match
from welcomematch.notifications.services import proposals_notify


@task()
def notify_round_proposals(round_id: int) -> int:
    """Queue the news of a confirmed round's matches to both sides; returns the number of
    messages. Each match is told once (its notice is claimed), so running it again is safe."""
    with transaction.atomic():
        return proposals_notify(matches=list(Match.objects.filter(round_id=round_id)), actor=None)
