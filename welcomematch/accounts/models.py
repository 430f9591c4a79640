"""Users with a programme role, and the append-only audit trail."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    #: A new account: it sees nothing until an administrator gives it a role and a programme.
    NONE = "none", _("No access yet")
    ADMINISTRATOR = "administrator", _("Administrator")
    COORDINATOR = "coordinator", _("Coordinator")
    CONTACT_PERSON = "contact_person", _("Contact person")
    AMBASSADOR = "ambassador", _("Cultural ambassador")
    RESEARCHER = "researcher", _("Researcher")


class User(AbstractUser):
    """A person who logs in; what they may see follows from their role."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.NONE)
    programme = models.ForeignKey(
        "programmes.Programme",
        verbose_name=_("programme"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="users",
    )
    cities = models.ManyToManyField(
        "programmes.City",
        verbose_name=_("cities"),
        blank=True,
        related_name="+",
        help_text=_(
            "Leave empty for every city of the programme; choose some to restrict a "
            "coordinator to them."
        ),
    )
    language = models.CharField(
        _("language"),
        max_length=8,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_("Chosen with the language switch; applied at every login."),
    )

    @property
    def sees_sensitive_data(self) -> bool:
        """Health, trauma, vulnerability and origin are for administrators and coordinators
        (of a programme: an account without one sees nothing)."""
        return self.manages_programme

    @property
    def manages_programme(self) -> bool:
        from welcomematch.accounts.scope import programme_scope

        return programme_scope(self).manages


class AuditEvent(models.Model):
    """One append-only row per change to a match, a round or another audited record."""

    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(_("what"), max_length=64, db_index=True)
    object_type = models.CharField(_("record type"), max_length=64, db_index=True)
    object_id = models.CharField(_("record id"), max_length=64, db_index=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("from where"), null=True, blank=True)
    programme = models.ForeignKey(
        "programmes.Programme",
        verbose_name=_("programme"),
        null=True,
        blank=True,
        # No constraint and no cascade: an event outlives its programme, and is never updated.
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.object_type}#{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Audit events are append-only and cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError("Audit events are append-only and cannot be deleted.")


class AuditRetentionGuard(models.Model):
    """While the retention job runs, names the cutoff before which audit events may be deleted.

    Written and removed inside the job's own transaction (see ``accounts.appendonly``).
    """

    cutoff = models.DateTimeField(_("delete events before"))

    class Meta:
        verbose_name = _("audit retention guard")

    def __str__(self) -> str:
        return f"delete audit events before {self.cutoff:%Y-%m-%d}"
