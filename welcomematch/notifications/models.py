"""What the product told whom, once per event: invitations, proposals, reminders, digests."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class NoticeKind(models.TextChoices):
    INVITATION = "invitation", _("Invitation link")
    PROPOSAL = "proposal", _("Match proposal")
    FIRST_MEETING = "first_meeting", _("First-meeting reminder")
    NO_FIRST_MEETING = "no_first_meeting", _("No first meeting yet")
    NO_CHECKIN = "no_checkin", _("No check-in for too long")
    DIGEST = "digest", _("Weekly digest")


class Notice(models.Model):
    """One event the product notified people of. Its ``key`` names the event (the match and the
    date it is about, the coordinator and the week), so each event is notified at most once
    however often the daily command runs."""

    key = models.CharField(_("event"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=NoticeKind.choices, db_index=True)
    match = models.ForeignKey(
        "lifecycle.Match",
        verbose_name=_("match"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notices",
    )
    messages = models.PositiveSmallIntegerField(_("messages queued"), default=0)
    #: Who could not be reached by e-mail (``group``, ``household``): tell them yourself.
    unreached = models.JSONField(_("without an e-mail address"), default=list, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return self.key
