"""Personal links to participant pages: one live link per Welcome Group or household."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ParticipantLinkQuerySet(models.QuerySet["ParticipantLink"]):
    def live(self, *, now: object) -> ParticipantLinkQuerySet:
        """Links that still open their page: not revoked (or replaced) and not expired."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=now)


class ParticipantLink(models.Model):
    """A group's or a household's personal page link; only a hash of the token is stored.

    A new link (renewal) revokes the earlier ones, so at most one works at a time. The page
    speaks ``language`` (any language code: pages in a new language need only translations).
    """

    group = models.ForeignKey(
        "intake.WelcomeGroup",
        verbose_name=_("group"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="participant_links",
    )
    household = models.ForeignKey(
        "intake.Household",
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="participant_links",
    )
    token_hash = models.CharField(_("token hash (SHA-256)"), max_length=64, unique=True)
    language = models.CharField(_("language"), max_length=8, default="nl")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    expires_at = models.DateTimeField(_("link expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_visited_at = models.DateTimeField(_("last visited"), null=True, blank=True)

    objects = ParticipantLinkQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(group__isnull=False, household__isnull=True)
                | models.Q(group__isnull=True, household__isnull=False),
                name="participant_link_one_subject",
            ),
        ]
        verbose_name = _("participant page link")
        verbose_name_plural = _("participant page links")

    def __str__(self) -> str:
        subject = self.group or self.household
        return f"{subject} #{self.pk}"

    @property
    def side(self) -> str:
        """``group`` or ``household`` (the values of ``lifecycle.models.MatchSide``)."""
        return "group" if self.group_id is not None else "household"
