"""Welcome Groups and their members, households and their persons, postcodes, exclusions."""

from __future__ import annotations

from typing import Any, overload

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import IntegerField
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from welcomematch.core.composition import Gender as CoreGender
from welcomematch.core.composition import HouseholdType as CoreHouseholdType


class Gender(models.TextChoices):
    WOMAN = CoreGender.WOMAN.value, _("Woman")
    MAN = CoreGender.MAN.value, _("Man")
    OTHER = CoreGender.OTHER.value, _("Other")
    UNKNOWN = CoreGender.UNKNOWN.value, _("Prefer not to say")


class HouseholdType(models.TextChoices):
    FAMILY_WITH_CHILDREN = CoreHouseholdType.FAMILY_WITH_CHILDREN.value, _("Family with children")
    COUPLE = CoreHouseholdType.COUPLE.value, _("Couple without children")
    SINGLE_PARENT = CoreHouseholdType.SINGLE_PARENT.value, _("Single parent")
    SINGLE_MAN = CoreHouseholdType.SINGLE_MAN.value, _("Single man")
    SINGLE_WOMAN = CoreHouseholdType.SINGLE_WOMAN.value, _("Single woman")
    SINGLE_OTHER = CoreHouseholdType.SINGLE_OTHER.value, _("Single person (other)")


class CEFR(models.TextChoices):
    NONE = "none", _("None")
    A1 = "A1", "A1"
    A2 = "A2", "A2"
    B1 = "B1", "B1"
    B2 = "B2", "B2"
    C1 = "C1", "C1"
    C2 = "C2", "C2"


class ContactKind(models.TextChoices):
    PRACTICAL = "practical", _("Practical goals")
    FRIENDSHIP = "friendship", _("Friendship")
    BOTH = "both", _("Both")


class OverriddenLevel:
    """A derived level and a coordinator's override of it: the override wins.

    The one definition of that rule, in both forms: on a record (``household.vulnerability_level``)
    and as SQL (``Household.vulnerability_level.expression()``, to filter and sort in the database).
    """

    def __init__(self, *, derived: str, override: str) -> None:
        self.derived = derived
        self.override = override

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> OverriddenLevel: ...
    @overload
    def __get__(self, instance: models.Model, owner: type[Any]) -> int: ...
    def __get__(self, instance: models.Model | None, owner: type[Any]) -> OverriddenLevel | int:
        if instance is None:
            return self
        override = getattr(instance, self.override)
        return int(override if override is not None else getattr(instance, self.derived))

    def expression(self) -> Coalesce:
        return Coalesce(self.override, self.derived, output_field=IntegerField())


class Postcode(models.Model):
    """A postal code with coordinates, loaded from a GeoNames postal-code dump."""

    country = models.CharField(_("country code"), max_length=2)
    code = models.CharField(_("postcode"), max_length=16)
    place = models.CharField(_("place"), max_length=120, blank=True)
    municipality = models.CharField(_("municipality"), max_length=120, blank=True)
    latitude = models.FloatField(_("latitude"))
    longitude = models.FloatField(_("longitude"))

    class Meta:
        ordering = ("country", "code")
        constraints = [
            models.UniqueConstraint(fields=("country", "code"), name="postcode_unique_per_country")
        ]
        verbose_name = _("postcode")
        verbose_name_plural = _("postcodes")

    def __str__(self) -> str:
        return f"{self.code} {self.place}".strip()


class Located(models.Model):
    """Postcode and coordinates; the coordinates come from the postcode or are entered directly."""

    postcode = models.CharField(_("postcode"), max_length=16, blank=True)
    latitude = models.FloatField(
        _("latitude"),
        null=True,
        blank=True,
        validators=[MinValueValidator(-90.0), MaxValueValidator(90.0)],
    )
    longitude = models.FloatField(
        _("longitude"),
        null=True,
        blank=True,
        validators=[MinValueValidator(-180.0), MaxValueValidator(180.0)],
    )

    class Meta:
        abstract = True

    @property
    def has_location(self) -> bool:
        return self.latitude is not None and self.longitude is not None


class WelcomeGroup(Located):
    """A Welcome Group: about five residents who take one household under their wing for a year."""

    programme = models.ForeignKey(
        "programmes.Programme",
        verbose_name=_("programme"),
        on_delete=models.PROTECT,
        related_name="groups",
    )
    city = models.ForeignKey(
        "programmes.City", verbose_name=_("city"), on_delete=models.PROTECT, related_name="groups"
    )
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    name = models.CharField(_("group name"), max_length=200)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    acquaintance = models.CharField(_("how the members know each other"), max_length=64, blank=True)
    motivation = models.TextField(_("motivation"), blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    hobbies = models.TextField(_("hobbies and interests"), blank=True)
    group_type = models.CharField(_("group type"), max_length=64, blank=True)
    ranking = models.JSONField(
        _("ranking of household types"),
        default=list,
        blank=True,
        help_text=_("Household types in order of preference, best first."),
    )
    willingness = models.PositiveSmallIntegerField(
        _("willingness to take a household with more support needs"),
        default=0,
        validators=[MaxValueValidator(2)],
    )
    experience = models.PositiveSmallIntegerField(
        _("experience with vulnerable people"), default=0, validators=[MaxValueValidator(2)]
    )
    capacity = models.PositiveSmallIntegerField(_("capacity level (derived)"), default=0)
    capacity_override = models.PositiveSmallIntegerField(
        _("capacity level (override)"), null=True, blank=True
    )
    capacity_override_reason = models.TextField(_("reason for the override"), blank=True)
    hours_per_month = models.PositiveSmallIntegerField(_("hours per month"), null=True, blank=True)
    contact_kind = models.CharField(
        _("kind of contact sought"), max_length=16, choices=ContactKind.choices, blank=True
    )
    availability = models.TextField(_("availability"), blank=True)
    consent_at = models.DateTimeField(_("consent given"), null=True, blank=True)
    non_discrimination_at = models.DateTimeField(
        _("non-discrimination principles accepted"), null=True, blank=True
    )
    intake_completed_at = models.DateTimeField(_("intake completed"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    contact_person = models.ForeignKey(
        "lifecycle.ContactPerson",
        verbose_name=_("contact person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="groups",
    )
    external_uuid = models.CharField(
        _("survey submission id"), max_length=64, blank=True, db_index=True
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ("reference",)
        verbose_name = _("Welcome Group")
        verbose_name_plural = _("Welcome Groups")

    def __str__(self) -> str:
        return f"{self.reference} {self.name}"

    #: The level the matching uses: the override when a coordinator set one.
    capacity_level = OverriddenLevel(derived="capacity", override="capacity_override")


class GroupMember(models.Model):
    """One resident in a Welcome Group."""

    group = models.ForeignKey(
        WelcomeGroup, verbose_name=_("group"), on_delete=models.CASCADE, related_name="members"
    )
    first_name = models.CharField(_("first name"), max_length=100)
    age = models.PositiveSmallIntegerField(
        _("age"), null=True, blank=True, validators=[MaxValueValidator(120)]
    )
    gender = models.CharField(
        _("gender"), max_length=16, choices=Gender.choices, default=Gender.UNKNOWN
    )
    education = models.CharField(_("education level"), max_length=64, blank=True)
    occupation = models.CharField(_("occupation"), max_length=200, blank=True)
    sector = models.CharField(_("work field"), max_length=64, blank=True)
    volunteered_with_refugees = models.BooleanField(
        _("volunteered with refugees before"), default=False
    )
    has_children = models.BooleanField(_("has children"), default=False)
    email = models.EmailField(_("e-mail"), blank=True)

    class Meta:
        ordering = ("group", "id")
        verbose_name = _("group member")
        verbose_name_plural = _("group members")

    def __str__(self) -> str:
        return self.first_name


class Household(Located):
    """A newcomer household with a residence permit (statushouder)."""

    programme = models.ForeignKey(
        "programmes.Programme",
        verbose_name=_("programme"),
        on_delete=models.PROTECT,
        related_name="households",
    )
    city = models.ForeignKey(
        "programmes.City",
        verbose_name=_("city"),
        on_delete=models.PROTECT,
        related_name="households",
    )
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    contact_name = models.CharField(_("contact name"), max_length=200)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    country_of_origin = models.CharField(_("country of origin"), max_length=2, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    cefr_dutch = models.CharField(
        _("Dutch (CEFR)"), max_length=4, choices=CEFR.choices, default=CEFR.NONE
    )
    cefr_english = models.CharField(
        _("English (CEFR)"), max_length=4, choices=CEFR.choices, default=CEFR.NONE
    )
    education = models.CharField(_("education level"), max_length=64, blank=True)
    work_field = models.CharField(_("work field"), max_length=64, blank=True)
    employment = models.CharField(_("employment status"), max_length=64, blank=True)
    goals = models.JSONField(_("goals and priorities"), default=list, blank=True)
    hobbies = models.TextField(_("hobbies and interests"), blank=True)
    housed_year = models.PositiveSmallIntegerField(_("year housed"), null=True, blank=True)
    municipality = models.CharField(_("municipality"), max_length=120, blank=True)
    household_type = models.CharField(
        _("household type (derived)"), max_length=32, choices=HouseholdType.choices, blank=True
    )
    ranking = models.JSONField(
        _("ranking of group types"),
        default=list,
        blank=True,
        help_text=_("Group types in order of preference, best first."),
    )
    ssm_scores = models.JSONField(_("self-sufficiency scores"), default=dict, blank=True)
    support_flags = models.JSONField(_("support needs"), default=dict, blank=True)
    support_notes = models.TextField(_("support needs (notes)"), blank=True)
    vulnerability = models.PositiveSmallIntegerField(_("vulnerability level (derived)"), default=0)
    vulnerability_override = models.PositiveSmallIntegerField(
        _("vulnerability level (override)"), null=True, blank=True
    )
    vulnerability_override_reason = models.TextField(_("reason for the override"), blank=True)
    wants_ambassador = models.BooleanField(_("wants a cultural ambassador"), default=True)
    interviewed_at = models.DateField(_("interview date"), null=True, blank=True)
    interviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("interviewer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    consent_at = models.DateTimeField(_("consent given"), null=True, blank=True)
    non_discrimination_at = models.DateTimeField(
        _("non-discrimination principles explained"), null=True, blank=True
    )
    intake_completed_at = models.DateTimeField(_("intake completed"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    external_uuid = models.CharField(
        _("survey submission id"), max_length=64, blank=True, db_index=True
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ("reference",)
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return self.reference

    #: The level the matching uses: the override when a coordinator set one.
    vulnerability_level = OverriddenLevel(
        derived="vulnerability", override="vulnerability_override"
    )


class Person(models.Model):
    """A member of a household; the household type is derived from these rows."""

    class Relation(models.TextChoices):
        MAIN = "main", _("Main contact")
        PARTNER = "partner", _("Partner")
        CHILD = "child", _("Child")
        OTHER = "other", _("Other relative")

    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.CASCADE, related_name="persons"
    )
    relation = models.CharField(_("relation"), max_length=16, choices=Relation.choices)
    age = models.PositiveSmallIntegerField(_("age"), validators=[MaxValueValidator(120)])
    gender = models.CharField(
        _("gender"), max_length=16, choices=Gender.choices, default=Gender.UNKNOWN
    )

    class Meta:
        ordering = ("household", "id")
        verbose_name = _("person")
        verbose_name_plural = _("persons")

    def __str__(self) -> str:
        return f"{self.get_relation_display()} ({self.age})"


class Exclusion(models.Model):
    """A pair that must never be matched (a match that broke down, a conflict of interest)."""

    group = models.ForeignKey(
        WelcomeGroup, verbose_name=_("group"), on_delete=models.CASCADE, related_name="exclusions"
    )
    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.CASCADE, related_name="exclusions"
    )
    reason = models.TextField(_("reason"))
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
        constraints = [
            models.UniqueConstraint(fields=("group", "household"), name="exclusion_unique_pair")
        ]
        verbose_name = _("exclusion")
        verbose_name_plural = _("exclusions")

    def __str__(self) -> str:
        return f"{self.group.reference} ✕ {self.household.reference}"


class InvitationState(models.TextChoices):
    """Where an invitation link stands; only an open link can be used."""

    OPEN = "open", _("open")
    EXPIRED = "expired", _("expired")
    REVOKED = "revoked", _("withdrawn")
    SUBMITTED = "submitted", _("submitted")


class GroupInvitation(models.Model):
    """A link with which a group fills in its own intake; only a hash of the token is stored."""

    group = models.ForeignKey(
        WelcomeGroup, verbose_name=_("group"), on_delete=models.CASCADE, related_name="invitations"
    )
    token_hash = models.CharField(_("token hash (SHA-256)"), max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    answers = models.JSONField(_("answers saved so far"), default=dict, blank=True)
    last_step = models.CharField(_("last step saved"), max_length=32, blank=True)

    class Meta:
        ordering = ("-created_at",)
        verbose_name = _("group invitation")
        verbose_name_plural = _("group invitations")

    def __str__(self) -> str:
        return f"{self.group.reference} ({self.created_at:%Y-%m-%d})"

    @property
    def state(self) -> InvitationState:
        """The one definition of an invitation's state: withdrawn, then submitted, then expired
        (in that order, so a withdrawn link stays withdrawn after its expiry), else open."""
        if self.revoked_at is not None:
            return InvitationState.REVOKED
        if self.submitted_at is not None:
            return InvitationState.SUBMITTED
        if self.expires_at <= timezone.now():
            return InvitationState.EXPIRED
        return InvitationState.OPEN

    @property
    def is_open(self) -> bool:
        return self.state == InvitationState.OPEN


class ImportKind(models.TextChoices):
    GROUPS = "groups", _("Welcome Groups")
    HOUSEHOLDS = "households", _("Households")


class ImportMapping(models.Model):
    """A programme's saved column mapping for one kind of survey export: header → question."""

    programme = models.ForeignKey(
        "programmes.Programme",
        verbose_name=_("programme"),
        on_delete=models.CASCADE,
        related_name="import_mappings",
    )
    kind = models.CharField(_("what is imported"), max_length=16, choices=ImportKind.choices)
    columns = models.JSONField(_("column mapping"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=("programme", "kind"), name="import_mapping_unique_per_kind"
            )
        ]
        verbose_name = _("import mapping")
        verbose_name_plural = _("import mappings")

    def __str__(self) -> str:
        return f"{self.programme} {self.kind}"


class ImportRun(models.Model):
    """One uploaded survey export: previewed (dry run) first, then committed all-or-nothing."""

    class Status(models.TextChoices):
        PREVIEWED = "previewed", _("Previewed")
        COMMITTED = "committed", _("Committed")
        FAILED = "failed", _("Has errors")

    programme = models.ForeignKey(
        "programmes.Programme",
        verbose_name=_("programme"),
        on_delete=models.CASCADE,
        related_name="import_runs",
    )
    city = models.ForeignKey(
        "programmes.City",
        verbose_name=_("default city"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(_("what is imported"), max_length=16, choices=ImportKind.choices)
    files = models.JSONField(_("uploaded files"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    report = models.JSONField(_("report"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    committed_at = models.DateTimeField(_("committed"), null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")

    def __str__(self) -> str:
        return f"{self.kind} {self.created_at:%Y-%m-%d %H:%M}"


class RecordChange(models.Model):
    """One change to a group's or household's record, kept as its history: what changed (answers
    before and after, rows added and removed, derived levels), a withdrawal and its undoing, a
    link re-opened for corrections. Shown in words on the record's page (``intake.changes``);
    the audit trail points here and holds no values, so erasure can remove them in one place."""

    class Action(models.TextChoices):
        EDITED = "edited", _("Answers changed")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        REINSTATED = "reinstated", _("Withdrawal undone")
        REOPENED = "reopened", _("Intake link re-opened for corrections")

    group = models.ForeignKey(
        WelcomeGroup,
        verbose_name=_("group"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="changes",
    )
    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="changes",
    )
    action = models.CharField(_("what happened"), max_length=16, choices=Action.choices)
    changes = models.JSONField(_("changes"), default=list, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(group__isnull=True) ^ models.Q(household__isnull=True),
                name="record_change_of_one_record",
            )
        ]
        verbose_name = _("change to a record")
        verbose_name_plural = _("changes to records")

    def __str__(self) -> str:
        return f"{self.action} {self.created_at:%Y-%m-%d %H:%M}"
