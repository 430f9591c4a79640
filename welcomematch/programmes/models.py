"""Programmes, their cities, and the category lists every other app refers to."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from welcomematch.i18n import in_active_language


class CategoryKind(models.TextChoices):
    HOUSEHOLD_TYPE = "household_type", _("Household type")
    GROUP_TYPE = "group_type", _("Group type")
    GOAL = "goal", _("Goal")
    END_REASON = "end_reason", _("End reason")
    ACQUAINTANCE = "acquaintance", _("How group members know each other")
    CONTACT_KIND = "contact_kind", _("Kind of contact")
    LANGUAGE = "language", _("Language")
    SSM_DOMAIN = "ssm_domain", _("Self-sufficiency domain")
    SUPPORT_NEED = "support_need", _("Support need")
    EDUCATION = "education", _("Education level")
    SECTOR = "sector", _("Work field")
    EMPLOYMENT = "employment", _("Employment status")


class Category(models.Model):
    """One entry of a category list (household types, goals, end reasons, ...): data, not code."""

    kind = models.CharField(_("list"), max_length=32, choices=CategoryKind.choices, db_index=True)
    code = models.SlugField(_("code"), max_length=64)
    label_nl = models.CharField(_("label (Dutch)"), max_length=200)
    label_en = models.CharField(_("label (English)"), max_length=200)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ("kind", "order", "code")
        constraints = [
            models.UniqueConstraint(fields=("kind", "code"), name="category_unique_code_per_kind")
        ]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The label in the active language (Dutch unless English is active)."""
        return in_active_language(self.label_nl, self.label_en)


def default_vulnerability_rule() -> dict[str, object]:
    from welcomematch.core.levels import DEFAULT_VULNERABILITY_RULE

    return DEFAULT_VULNERABILITY_RULE.to_dict()


def default_capacity_rule() -> dict[str, object]:
    from welcomematch.core.levels import DEFAULT_CAPACITY_RULE

    return DEFAULT_CAPACITY_RULE.to_dict()


class Programme(models.Model):
    """A community sponsorship programme run by one organisation (e.g. Samen Hier)."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=64, unique=True)
    country = models.CharField(_("country code"), max_length=2, default="NL")
    max_distance_km = models.FloatField(_("maximum distance (km)"), default=5.0)
    vulnerability_rule = models.JSONField(
        _("vulnerability rule"), default=default_vulnerability_rule
    )
    capacity_rule = models.JSONField(_("capacity rule"), default=default_capacity_rule)
    # The targets of waiting times and warnings (defaults: welcomematch.core.waiting.Thresholds).
    target_days = models.PositiveSmallIntegerField(
        _("target: days from intake to first meeting"), default=42
    )
    first_meeting_days = models.PositiveSmallIntegerField(
        _("warn when no first meeting this many days after matching"), default=21
    )
    checkin_gap_days = models.PositiveSmallIntegerField(
        _("warn when no check-in for this many days"), default=61
    )
    low_rating = models.PositiveSmallIntegerField(
        _("warn after two ratings in a row at or below"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    round_min_groups = models.PositiveSmallIntegerField(
        _("minimum groups in a round"),
        default=1,
        help_text=_("A round runs only with at least this many groups ready (the pilot: 5)."),
    )
    round_more_households_than_groups = models.BooleanField(
        _("more households than groups in a round"),
        default=False,
        help_text=_("A round runs only when more households than groups are ready (the pilot)."),
    )
    contact_phone = models.CharField(
        _("participants' contact phone"),
        max_length=40,
        blank=True,
        help_text=_("Shown on participants' personal pages while they wait for a match."),
    )
    contact_email = models.EmailField(
        _("participants' contact e-mail"),
        blank=True,
        help_text=_("Shown on participants' personal pages while they wait for a match."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ("name",)
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")

    def __str__(self) -> str:
        return self.name


class City(models.Model):
    """A municipality in which a programme recruits groups and households."""

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.CASCADE, related_name="cities"
    )
    name = models.CharField(_("name"), max_length=120)
    municipality_code = models.CharField(_("municipality code"), max_length=16, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)

    class Meta:
        ordering = ("name",)
        constraints = [
            models.UniqueConstraint(fields=("programme", "name"), name="city_unique_per_programme")
        ]
        verbose_name = _("city")
        verbose_name_plural = _("cities")

    def __str__(self) -> str:
        return self.name
