"""The randomised control arm: which household became the control for which group."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ControlAssignment(models.Model):
    """A household drawn as control by the fair coin of a confirmed round. Immutable."""

    round = models.ForeignKey(
        "matching.MatchingRound",
        verbose_name=_("round"),
        on_delete=models.PROTECT,
        related_name="controls",
    )
    group = models.ForeignKey(
        "intake.WelcomeGroup",
        verbose_name=_("group"),
        on_delete=models.PROTECT,
        related_name="control_assignments",
    )
    household = models.OneToOneField(
        "intake.Household",
        verbose_name=_("control household"),
        on_delete=models.PROTECT,
        related_name="control_assignment",
    )
    treatment_household = models.ForeignKey(
        "intake.Household",
        verbose_name=_("treatment household"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("assigned"), auto_now_add=True)

    class Meta:
        ordering = ("round", "group__reference")
        verbose_name = _("control assignment")
        verbose_name_plural = _("control assignments")

    def __str__(self) -> str:
        return f"{self.household.reference} (control for {self.group.reference})"
