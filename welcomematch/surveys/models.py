"""Survey instruments (versioned, global), waves, personal links, responses and answers.

Field names are the contract read by the report and the trial analysis (SURVEYS-SPEC):
add fields freely, never rename them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Moment(models.TextChoices):
    INTAKE = "intake", _("Intake")
    MIDTERM = "midterm", _("Mid-term")
    FINAL = "final", _("Final")


class Side(models.TextChoices):
    GROUP_MEMBER = "group_member", _("Group member")
    NEWCOMER = "newcomer", _("Newcomer")


class TrialArm(models.TextChoices):
    TREATMENT = "treatment", _("Treatment (matched)")
    CONTROL = "control", _("Control")
    NONE = "", _("Not in the trial")


class Source(models.TextChoices):
    WEB = "web", _("Personal link")
    INTERVIEW = "interview", _("Interview")
    IMPORT = "import", _("Imported file")


class Instrument(models.Model):
    """One version of the questionnaire of a moment and side; global to every programme."""

    moment = models.CharField(_("moment"), max_length=16, choices=Moment.choices)
    side = models.CharField(_("side"), max_length=16, choices=Side.choices)
    version = models.PositiveIntegerField(_("version"), default=1)
    is_current = models.BooleanField(_("current version"), default=True)
    note = models.CharField(_("what changed"), max_length=300, blank=True)
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
        ordering = ("moment", "side", "-version")
        constraints = [
            models.UniqueConstraint(
                fields=("moment", "side", "version"), name="instrument_unique_version"
            ),
            models.UniqueConstraint(
                fields=("moment", "side"),
                condition=models.Q(is_current=True),
                name="instrument_one_current",
            ),
        ]
        verbose_name = _("survey instrument")
        verbose_name_plural = _("survey instruments")

    def __str__(self) -> str:
        return f"{self.get_moment_display()} – {self.get_side_display()} v{self.version}"


class Item(models.Model):
    """One question of an instrument version: code, answer scale, wording per language."""

    instrument = models.ForeignKey(
        Instrument, verbose_name=_("instrument"), on_delete=models.CASCADE, related_name="items"
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    code = models.SlugField(_("code"), max_length=64)
    scale = models.CharField(_("answer scale"), max_length=32)
    text = models.JSONField(_("wording per language"), default=dict)
    concerns_match = models.BooleanField(_("concerns the match"), default=False)
    required = models.BooleanField(_("required"), default=True)

    class Meta:
        ordering = ("instrument", "position", "id")
        constraints = [
            models.UniqueConstraint(fields=("instrument", "code"), name="item_unique_code")
        ]
        verbose_name = _("survey item")
        verbose_name_plural = _("survey items")

    def __str__(self) -> str:
        return self.code


class SurveyWave(models.Model):
    """A coordinator opened a moment's survey for a set of matches and control households."""

    programme = models.ForeignKey(
        "programmes.Programme",
        verbose_name=_("programme"),
        on_delete=models.CASCADE,
        related_name="survey_waves",
    )
    moment = models.CharField(_("moment"), max_length=16, choices=Moment.choices)
    city = models.ForeignKey(
        "programmes.City",
        verbose_name=_("city"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="survey_waves",
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    opened_at = models.DateTimeField(_("opened"))
    closes_at = models.DateTimeField(_("closes"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ("-opened_at", "-id")
        verbose_name = _("survey wave")
        verbose_name_plural = _("survey waves")

    def __str__(self) -> str:
        return self.name or f"{self.get_moment_display()} {self.opened_at:%Y-%m-%d}"


class Respondent(models.Model):
    """One person's personal survey link in a wave; only a hash of the token is stored."""

    wave = models.ForeignKey(
        SurveyWave, verbose_name=_("wave"), on_delete=models.CASCADE, related_name="respondents"
    )
    side = models.CharField(_("side"), max_length=16, choices=Side.choices)
    group = models.ForeignKey(
        "intake.WelcomeGroup",
        verbose_name=_("group"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="survey_respondents",
    )
    group_member = models.ForeignKey(
        "intake.GroupMember",
        verbose_name=_("group member"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_respondents",
    )
    household = models.ForeignKey(
        "intake.Household",
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="survey_respondents",
    )
    person = models.ForeignKey(
        "intake.Person",
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_respondents",
    )
    match = models.ForeignKey(
        "lifecycle.Match",
        verbose_name=_("match"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_respondents",
    )
    city = models.ForeignKey(
        "programmes.City",
        verbose_name=_("city"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    trial_arm = models.CharField(
        _("trial arm"), max_length=16, choices=TrialArm.choices, blank=True, default=""
    )
    language = models.CharField(_("language"), max_length=8, default="nl")
    token_hash = models.CharField(_("token hash (SHA-256)"), max_length=64, unique=True)
    expires_at = models.DateTimeField(_("link expires"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_reminded_at = models.DateTimeField(_("last reminder"), null=True, blank=True)

    class Meta:
        ordering = ("wave", "side", "id")
        verbose_name = _("survey respondent")
        verbose_name_plural = _("survey respondents")

    def __str__(self) -> str:
        return f"{self.get_side_display()} #{self.pk}"


class Response(models.Model):
    """One filled-in questionnaire (from a link, an interview or an imported file)."""

    programme = models.ForeignKey(
        "programmes.Programme",
        verbose_name=_("programme"),
        on_delete=models.CASCADE,
        related_name="survey_responses",
    )
    moment = models.CharField(_("moment"), max_length=16, choices=Moment.choices)
    side = models.CharField(_("side"), max_length=16, choices=Side.choices)
    instrument = models.ForeignKey(
        Instrument,
        verbose_name=_("instrument version"),
        on_delete=models.PROTECT,
        related_name="responses",
    )
    respondent = models.ForeignKey(
        Respondent,
        verbose_name=_("respondent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="responses",
    )
    group = models.ForeignKey(
        "intake.WelcomeGroup",
        verbose_name=_("group"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_responses",
    )
    household = models.ForeignKey(
        "intake.Household",
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_responses",
    )
    city = models.ForeignKey(
        "programmes.City",
        verbose_name=_("city"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_responses",
    )
    trial_arm = models.CharField(
        _("trial arm"), max_length=16, choices=TrialArm.choices, blank=True, default=""
    )
    started_at = models.DateTimeField(_("started"))
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    external_id = models.CharField(_("external id"), max_length=200, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    last_page = models.PositiveSmallIntegerField(_("last page saved"), default=0)

    class Meta:
        ordering = ("-started_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=("programme", "moment", "side", "external_id"),
                condition=~models.Q(external_id=""),
                name="response_unique_external_id",
            ),
            models.UniqueConstraint(
                fields=("respondent",),
                condition=models.Q(respondent__isnull=False),
                name="response_one_per_respondent",
            ),
        ]
        indexes = [models.Index(fields=("programme", "moment", "side"))]
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")

    def __str__(self) -> str:
        return f"{self.get_moment_display()} {self.get_side_display()} #{self.pk}"


class Answer(models.Model):
    """One item's value in a response: an option code, a list of codes, a number or text."""

    response = models.ForeignKey(
        Response, verbose_name=_("response"), on_delete=models.CASCADE, related_name="answers"
    )
    item_code = models.CharField(_("item code"), max_length=64)
    value = models.JSONField(_("value"), null=True, blank=True)

    class Meta:
        ordering = ("response", "id")
        constraints = [
            models.UniqueConstraint(fields=("response", "item_code"), name="answer_unique_item")
        ]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")

    def __str__(self) -> str:
        return f"{self.item_code}={self.value!r}"
