"""Consent per purpose, and the record of each erasure (GDPR art. 6, 7, 9, 15, 17, 20)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Purpose(models.TextChoices):
    MATCHING = "matching", _("Matching and support in the programme")
    RESEARCH = "research", _("Pseudonymised research and evaluation")
    CONTACT = "contact", _("Sharing contact details with the group and the cultural ambassador")


class Consent(models.Model):
    """One decision (given or withdrawn) of a household or a group for one purpose.

    Rows are only added: the latest decision per purpose is the one that holds.
    """

    household = models.ForeignKey(
        "intake.Household",
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="consents",
    )
    group = models.ForeignKey(
        "intake.WelcomeGroup",
        verbose_name=_("group"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="consents",
    )
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    given = models.BooleanField(_("given"))
    text_version = models.CharField(_("version of the consent text"), max_length=32)
    decided_at = models.DateTimeField(_("when"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ("-decided_at", "-id")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(household__isnull=False, group__isnull=True)
                | models.Q(household__isnull=True, group__isnull=False),
                name="consent_of_one_subject",
            )
        ]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")

    def __str__(self) -> str:
        return f"{self.purpose} {'given' if self.given else 'withdrawn'} {self.decided_at:%Y-%m-%d}"


class Erasure(models.Model):
    """That a participant's identifying data were erased: when, by whom, why."""

    object_type = models.CharField(_("record type"), max_length=64)
    object_id = models.CharField(_("record id"), max_length=64)
    reference = models.CharField(_("reference"), max_length=32)
    erased_at = models.DateTimeField(_("erased"), auto_now_add=True)
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("erased by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.TextField(_("reason"))

    class Meta:
        ordering = ("-erased_at",)
        constraints = [
            models.UniqueConstraint(fields=("object_type", "object_id"), name="erasure_once")
        ]
        verbose_name = _("erasure")
        verbose_name_plural = _("erasures")

    def __str__(self) -> str:
        return f"{self.reference} {self.erased_at:%Y-%m-%d}"
