"""The randomised trial: control assignments (the randomisation units), the study per programme
with its outcomes, and the append-only register of deviations, withdrawals, corrections and
lottery audits."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

ERR_IMMUTABLE = "Register rows are append-only: record a correction as a new row instead."
ERR_STUDY_PERIOD = _("The study period must end after it starts.")


class AppendOnly(models.Model):
    """A row that is written once: no update, no delete (corrections are new rows)."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError(ERR_IMMUTABLE)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError(ERR_IMMUTABLE)


class Arm(models.TextChoices):
    TREATMENT = "treatment", _("Treatment (matched)")
    CONTROL = "control", _("Control")


class ControlAssignment(AppendOnly):
    """A randomisation unit: a group with its treatment household and the household the fair
    coin of a confirmed round made its control. Immutable."""

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


def new_pseudonym_key() -> str:
    return secrets.token_hex(32)


class Study(models.Model):
    """The evaluation of one programme: its study period, outcomes and analysis seed."""

    programme = models.OneToOneField(
        "programmes.Programme",
        verbose_name=_("programme"),
        on_delete=models.PROTECT,
        related_name="study",
    )
    title = models.CharField(_("title"), max_length=200)
    starts_on = models.DateField(_("study period starts"))
    ends_on = models.DateField(
        _("study period ends"),
        help_text=_("Until this day control households are not matched (final survey included)."),
    )
    analysis_seed = models.BigIntegerField(_("analysis seed"), default=0)
    pseudonym_key = models.CharField(
        _("pseudonym key"), max_length=64, default=new_pseudonym_key, editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("study")
        verbose_name_plural = _("studies")

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on <= self.starts_on:
            raise ValidationError({"ends_on": ERR_STUDY_PERIOD})


class OutcomeDerivation(models.TextChoices):
    GAIN = "gain", _("Gain: final level minus intake level")
    IN_WORK_OR_EDUCATION = (
        "in_work_or_education",
        _("In work or education at the final survey (1) or not (0)"),
    )
    FINAL = "final", _("The final survey's level or number")


class StudyOutcome(models.Model):
    """One outcome of interest: a final-survey item of the newcomers and how it is derived."""

    study = models.ForeignKey(
        Study, verbose_name=_("study"), on_delete=models.CASCADE, related_name="outcomes"
    )
    code = models.SlugField(_("column"), max_length=64)
    item_code = models.CharField(_("survey item"), max_length=64)
    derivation = models.CharField(_("derivation"), max_length=32, choices=OutcomeDerivation.choices)
    labels = models.JSONField(_("labels"), default=dict, help_text=_("Per language code."))
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ("study", "position", "code")
        constraints = [
            models.UniqueConstraint(fields=("study", "code"), name="study_outcome_code_once")
        ]
        verbose_name = _("outcome")
        verbose_name_plural = _("outcomes")

    def __str__(self) -> str:
        return self.code

    def label(self, language: str) -> str:
        return str(self.labels.get(language) or self.labels.get("en") or self.code)


class EntryKind(models.TextChoices):
    DEVIATION = "deviation", _("Protocol deviation: control household released for matching")
    WITHDRAWAL = "withdrawal", _("Withdrawal from the study")
    CORRECTION = "correction", _("Correction of an earlier row")


class RegisterEntry(AppendOnly):
    """One append-only row of the trial register about a household; a correction points at
    the row it withdraws."""

    programme = models.ForeignKey(
        "programmes.Programme",
        verbose_name=_("programme"),
        on_delete=models.PROTECT,
        related_name="trial_entries",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=EntryKind.choices)
    household = models.ForeignKey(
        "intake.Household",
        verbose_name=_("household"),
        on_delete=models.PROTECT,
        related_name="trial_entries",
    )
    arm = models.CharField(_("arm"), max_length=16, choices=Arm.choices)
    reason = models.TextField(_("reason"))
    corrects = models.OneToOneField(
        "self",
        verbose_name=_("corrects"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrected_by",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ("recorded_at", "id")
        verbose_name = _("register entry")
        verbose_name_plural = _("register entries")

    def __str__(self) -> str:
        return f"{self.kind} {self.household.reference}"


class LotteryAuditRecord(AppendOnly):
    """Each household's chance of each arm in a round, from the lottery audit over ``draws``
    seeds of the round's stored file. A later record for the same round supersedes it."""

    round = models.ForeignKey(
        "matching.MatchingRound",
        verbose_name=_("round"),
        on_delete=models.PROTECT,
        related_name="lottery_audits",
    )
    draws = models.PositiveIntegerField(_("draws"))
    first_seed = models.BigIntegerField(_("first seed"))
    chances = models.JSONField(
        _("chances"), help_text=_("Household reference: [P(treatment), P(control)].")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ("round", "-recorded_at", "-id")
        verbose_name = _("lottery audit")
        verbose_name_plural = _("lottery audits")

    def __str__(self) -> str:
        return f"{self.round} ({self.draws} draws)"
