"""Matches through their year: contact persons, ambassadors, check-ins, joint goals, endings."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class ContactPerson(models.Model):
    """A programme staff member who calls a group every month."""

    programme = models.ForeignKey(
        "programmes.Programme",
        verbose_name=_("programme"),
        on_delete=models.CASCADE,
        related_name="contact_persons",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contact_person",
    )
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    cities = models.ManyToManyField(
        "programmes.City", verbose_name=_("cities"), blank=True, related_name="+"
    )
    capacity = models.PositiveSmallIntegerField(
        _("maximum number of groups"), default=8, validators=[MinValueValidator(1)]
    )
    active = models.BooleanField(_("active"), default=True)
    unavailable_until = models.DateField(_("unavailable until"), null=True, blank=True)

    class Meta:
        ordering = ("name",)
        verbose_name = _("contact person")
        verbose_name_plural = _("contact persons")

    def __str__(self) -> str:
        return self.name


class CulturalAmbassador(models.Model):
    """A bicultural person who speaks Dutch and the newcomers' language and supports matches."""

    programme = models.ForeignKey(
        "programmes.Programme",
        verbose_name=_("programme"),
        on_delete=models.CASCADE,
        related_name="ambassadors",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ambassador",
    )
    name = models.CharField(_("name"), max_length=200)
    languages = models.JSONField(_("languages"), default=list)
    cities = models.ManyToManyField("programmes.City", verbose_name=_("cities"), blank=True)
    capacity = models.PositiveSmallIntegerField(
        _("maximum number of matches"), default=4, validators=[MinValueValidator(1)]
    )
    active = models.BooleanField(_("active"), default=True)
    unavailable_until = models.DateField(_("unavailable until"), null=True, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)

    class Meta:
        ordering = ("name",)
        verbose_name = _("cultural ambassador")
        verbose_name_plural = _("cultural ambassadors")

    def __str__(self) -> str:
        return self.name


class MatchStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    INTRODUCED = "introduced", _("First meeting planned")
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended early")
    COMPLETED = "completed", _("Completed")


#: The one definition of an open match: from its proposal until it ends or completes. A group
#: or a household has at most one open match (see the constraints on :class:`Match`).
OPEN_MATCH_STATUSES: tuple[MatchStatus, ...] = (
    MatchStatus.PROPOSED,
    MatchStatus.INTRODUCED,
    MatchStatus.ACTIVE,
)


class MatchQuerySet(models.QuerySet["Match"]):
    def open(self) -> MatchQuerySet:
        """Matches that are open (:data:`OPEN_MATCH_STATUSES`)."""
        return self.filter(status__in=OPEN_MATCH_STATUSES)


class Match(models.Model):
    """A group and a household together for a year: the treatment arm."""

    round = models.ForeignKey(
        "matching.MatchingRound",
        verbose_name=_("round"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="matches",
    )
    group = models.ForeignKey(
        "intake.WelcomeGroup",
        verbose_name=_("group"),
        on_delete=models.PROTECT,
        related_name="matches",
    )
    household = models.ForeignKey(
        "intake.Household",
        verbose_name=_("household"),
        on_delete=models.PROTECT,
        related_name="matches",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=MatchStatus.choices, default=MatchStatus.PROPOSED
    )
    distance_km = models.FloatField(_("distance (km)"), null=True, blank=True)
    ambassador = models.ForeignKey(
        CulturalAmbassador,
        verbose_name=_("cultural ambassador"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="matches",
    )
    proposed_at = models.DateTimeField(_("proposed"), auto_now_add=True)
    first_meeting_at = models.DateTimeField(_("first meeting"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    end_reason = models.CharField(_("end reason"), max_length=64, blank=True)
    end_note = models.TextField(_("what happened"), blank=True)

    objects = MatchQuerySet.as_manager()

    class Meta:
        ordering = ("-proposed_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=("group",),
                condition=models.Q(status__in=OPEN_MATCH_STATUSES),
                name="match_one_open_per_group",
            ),
            models.UniqueConstraint(
                fields=("household",),
                condition=models.Q(status__in=OPEN_MATCH_STATUSES),
                name="match_one_open_per_household",
            ),
        ]
        verbose_name = _("match")
        verbose_name_plural = _("matches")

    def __str__(self) -> str:
        return f"{self.group.reference} – {self.household.reference}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_MATCH_STATUSES


class CheckIn(models.Model):
    """The monthly check-in of a contact person with a group (or an ambassador with a household)."""

    class Mode(models.TextChoices):
        CALL = "call", _("Phone call")
        VISIT = "visit", _("Visit")
        ONLINE = "online", _("Video call")
        MESSAGE = "message", _("Message")

    match = models.ForeignKey(
        Match, verbose_name=_("match"), on_delete=models.CASCADE, related_name="checkins"
    )
    held_on = models.DateField(_("date"))
    mode = models.CharField(_("how"), max_length=16, choices=Mode.choices, default=Mode.CALL)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    meetings_since_last = models.PositiveSmallIntegerField(
        _("meetings since the last check-in"), null=True, blank=True
    )
    satisfaction = models.PositiveSmallIntegerField(
        _("how it goes (1-5)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    concern = models.BooleanField(_("needs attention"), default=False)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    #: The form's one-time key: the same form sent twice records one check-in.
    submission_key = models.UUIDField(_("form submission"), null=True, blank=True, unique=True)

    class Meta:
        ordering = ("-held_on", "-id")
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")

    def __str__(self) -> str:
        return f"{self.match} {self.held_on}"


class JointGoal(models.Model):
    """Something a group and household decided to do together this year."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        ACHIEVED = "achieved", _("Achieved")
        DROPPED = "dropped", _("Dropped")

    match = models.ForeignKey(
        Match, verbose_name=_("match"), on_delete=models.CASCADE, related_name="goals"
    )
    goal = models.CharField(_("goal"), max_length=64)
    description = models.TextField(_("what exactly"), blank=True)
    target_date = models.DateField(_("target date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PLANNED
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ("match", "target_date", "id")
        verbose_name = _("joint goal")
        verbose_name_plural = _("joint goals")

    def __str__(self) -> str:
        return self.goal


class MatchSide(models.TextChoices):
    """Which side of a match speaks: the Welcome Group or the household."""

    GROUP = "group", _("Welcome Group")
    HOUSEHOLD = "household", _("Household")


class ParticipantRating(models.Model):
    """How the match is going, in the participants' own words: 1 (badly) to 5 (very well),
    sent from their personal page. Counts with the check-ins' ratings in the warning rules."""

    match = models.ForeignKey(
        Match, verbose_name=_("match"), on_delete=models.CASCADE, related_name="participant_ratings"
    )
    side = models.CharField(_("from"), max_length=16, choices=MatchSide.choices)
    rating = models.PositiveSmallIntegerField(
        _("how it goes (1-5)"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)
    #: The form's one-time key: the same form sent twice records one rating.
    submission_key = models.UUIDField(_("form submission"), null=True, blank=True, unique=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("participant rating")
        verbose_name_plural = _("participant ratings")

    def __str__(self) -> str:
        return f"{self.match} {self.side} {self.rating}"
