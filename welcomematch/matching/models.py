"""Matching rounds: parameters, seed, the frozen input and result, and the proposed pairs."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class RoundStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PROPOSED = "proposed", _("Proposed")
    CONFIRMED = "confirmed", _("Confirmed")
    CANCELLED = "cancelled", _("Cancelled")


class Mechanism(models.TextChoices):
    OPTIMAL = "optimal", _("Optimal (most pairs, best preferences, shortest distances)")
    STABLE = "stable", _("Stable (groups propose)")


class MatchingRound(models.Model):
    """One run of the matching engine over the groups and households ready to match."""

    programme = models.ForeignKey(
        "programmes.Programme",
        verbose_name=_("programme"),
        on_delete=models.PROTECT,
        related_name="rounds",
    )
    city = models.ForeignKey(
        "programmes.City",
        verbose_name=_("city"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rounds",
        help_text=_("Leave empty to match across all cities of the programme."),
    )
    name = models.CharField(_("name"), max_length=200)
    status = models.CharField(
        _("status"), max_length=16, choices=RoundStatus.choices, default=RoundStatus.DRAFT
    )
    max_distance_km = models.FloatField(
        _("maximum distance (km)"), default=5.0, validators=[MinValueValidator(0.1)]
    )
    mechanism = models.CharField(
        _("mechanism"), max_length=16, choices=Mechanism.choices, default=Mechanism.OPTIMAL
    )
    control_arm = models.BooleanField(
        _("randomised control"),
        default=True,
        help_text=_(
            "Two feasible households per group: a fair coin makes one the match, one the control."
        ),
    )
    seed = models.BigIntegerField(_("lottery seed"))
    selected_groups = models.ManyToManyField(
        "intake.WelcomeGroup",
        verbose_name=_("only these groups"),
        blank=True,
        related_name="+",
        help_text=_("Leave empty to include every group that is ready to match."),
    )
    selected_households = models.ManyToManyField(
        "intake.Household",
        verbose_name=_("only these households"),
        blank=True,
        related_name="+",
        help_text=_("Leave empty to include every household that is ready to match."),
    )
    engine_version = models.CharField(_("engine version"), max_length=64, blank=True)
    round_file = models.JSONField(_("round file (input)"), null=True, blank=True)
    result_file = models.JSONField(_("result file"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    run_at = models.DateTimeField(_("run"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("matching round")
        verbose_name_plural = _("matching rounds")

    def __str__(self) -> str:
        return self.name


class ProposalRole(models.TextChoices):
    MATCH = "match", _("Match (treatment)")
    CONTROL = "control", _("Control")


class Proposal(models.Model):
    """A pair the engine assigned in a round, with its explanation."""

    round = models.ForeignKey(
        MatchingRound, verbose_name=_("round"), on_delete=models.CASCADE, related_name="proposals"
    )
    group = models.ForeignKey(
        "intake.WelcomeGroup",
        verbose_name=_("group"),
        on_delete=models.PROTECT,
        related_name="proposals",
    )
    household = models.ForeignKey(
        "intake.Household",
        verbose_name=_("household"),
        on_delete=models.PROTECT,
        related_name="proposals",
    )
    role = models.CharField(_("role"), max_length=16, choices=ProposalRole.choices)
    distance_km = models.FloatField(_("distance (km)"))
    group_rank = models.PositiveSmallIntegerField(_("rank in the group's preferences"))
    household_rank = models.PositiveSmallIntegerField(_("rank in the household's preferences"))

    class Meta:
        ordering = ("round", "group__reference", "role")
        constraints = [
            models.UniqueConstraint(
                fields=("round", "household"), name="proposal_household_once_per_round"
            )
        ]
        # The re-check at confirmation looks up every proposed group of a round: without this
        # index PostgreSQL probed all of a national round's 40 000 proposals per group (30 s).
        indexes = [models.Index(fields=("round", "group"), name="proposal_round_group")]
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")

    def __str__(self) -> str:
        return f"{self.group.reference} – {self.household.reference} ({self.role})"


class UnmatchedReason(models.TextChoices):
    """Why a participant was left without a partner (the round contract's codes)."""

    NO_PARTNER_IN_RANGE = "no_partner_in_range", _("Nobody on the other side within the distance")
    VULNERABILITY = "vulnerability", _("Everyone in range needs more support than can be given")
    EXCLUDED = "excluded", _("Every possible partner is excluded")
    PARTNERS_TAKEN = "partners_taken", _("Possible partners went to others")


class UnmatchedEntry(models.Model):
    """A participant left without a partner in a round, with the reason code."""

    class Side(models.TextChoices):
        GROUP = "group", _("Group")
        HOUSEHOLD = "household", _("Household")

    round = models.ForeignKey(
        MatchingRound, verbose_name=_("round"), on_delete=models.CASCADE, related_name="unmatched"
    )
    side = models.CharField(_("side"), max_length=16, choices=Side.choices)
    group = models.ForeignKey(
        "intake.WelcomeGroup", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    household = models.ForeignKey(
        "intake.Household", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=32, choices=UnmatchedReason.choices)
    eligible_partners = models.PositiveIntegerField(_("eligible partners"))

    class Meta:
        ordering = ("round", "side", "id")
        verbose_name = _("unmatched participant")
        verbose_name_plural = _("unmatched participants")

    def __str__(self) -> str:
        who = self.group if self.group_id else self.household
        return f"{who}: {self.reason}"


class JobKind(models.TextChoices):
    RUN = "run", _("Run")
    CONFIRM = "confirm", _("Confirm")
    AUDIT = "audit", _("Lottery audit")


class JobStage(models.TextChoices):
    QUEUED = "queued", _("Waiting for a worker")
    BUILDING = "building", _("Gathering the participants")
    SOLVING = "solving", _("Finding the best pairs")
    STORING = "storing", _("Storing the proposals")
    CONFIRMING = "confirming", _("Creating the matches and control assignments")
    AUDITING = "auditing", _("Drawing the lottery again and again")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


#: Stages of a job that has not finished: at most one such job per round.
ACTIVE_JOB_STAGES = (
    JobStage.QUEUED,
    JobStage.BUILDING,
    JobStage.SOLVING,
    JobStage.STORING,
    JobStage.CONFIRMING,
    JobStage.AUDITING,
)


class RoundJob(models.Model):
    """Running or confirming a round in the background: its progress, outcome and error."""

    round = models.ForeignKey(
        MatchingRound, verbose_name=_("round"), on_delete=models.CASCADE, related_name="jobs"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=JobKind.choices)
    stage = models.CharField(
        _("stage"), max_length=16, choices=JobStage.choices, default=JobStage.QUEUED
    )
    #: ``[[stage, ISO time], ...]`` in the order the stages were reached.
    stages = models.JSONField(_("stages reached"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)
    #: A lottery audit's number of draws (other jobs: none).
    draws = models.PositiveIntegerField(_("draws"), null=True, blank=True)
    task_id = models.CharField(_("task id"), max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("round job")
        verbose_name_plural = _("round jobs")
        constraints = [
            models.UniqueConstraint(
                fields=["round"],
                condition=models.Q(stage__in=ACTIVE_JOB_STAGES),
                name="roundjob_one_active_per_round",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.round} ({self.get_stage_display()})"

    @property
    def active(self) -> bool:
        return self.stage in ACTIVE_JOB_STAGES


class RoundVariant(models.Model):
    """What if: the round's pool, as stored in its round file, run with other settings.

    A variant never changes its round; adopting one runs the round with the variant's settings.
    """

    round = models.ForeignKey(
        MatchingRound, verbose_name=_("round"), on_delete=models.CASCADE, related_name="variants"
    )
    max_distance_km = models.FloatField(
        _("maximum distance (km)"), validators=[MinValueValidator(0.1)]
    )
    mechanism = models.CharField(_("mechanism"), max_length=16, choices=Mechanism.choices)
    control_arm = models.BooleanField(_("randomised control"))
    #: The round file it ran on (the round's stored input, these settings) and its result.
    round_file = models.JSONField(_("round file (input)"))
    result_file = models.JSONField(_("result file"))
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
        ordering = ("round", "created_at", "id")
        verbose_name = _("round variant")
        verbose_name_plural = _("round variants")

    def __str__(self) -> str:
        return f"{self.round} ({self.max_distance_km:g} km, {self.mechanism})"


class AdjustmentKind(models.TextChoices):
    FORBID = "forbid", _("Forbid this pair in this round")
    LOCK = "lock", _("Keep this pair as a match")
    LEAVE_OUT = "leave_out", _("Leave this participant out of this round")


class RoundAdjustment(models.Model):
    """A coordinator's adjustment of a round before confirming, with the reason. The round's
    input carries it (an exclusion, a pair left as the only option, a participant left out)."""

    round = models.ForeignKey(
        MatchingRound,
        verbose_name=_("round"),
        on_delete=models.CASCADE,
        related_name="adjustments",
    )
    kind = models.CharField(_("adjustment"), max_length=16, choices=AdjustmentKind.choices)
    group = models.ForeignKey(
        "intake.WelcomeGroup", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    household = models.ForeignKey(
        "intake.Household", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
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
        ordering = ("round", "created_at", "id")
        verbose_name = _("round adjustment")
        verbose_name_plural = _("round adjustments")

    def __str__(self) -> str:
        return f"{self.round}: {self.kind}"


class RoundLotteryAudit(models.Model):
    """Fairness: the round's stored input re-run over ``draws`` lottery seeds from
    ``first_seed`` (the core's lottery audit), each participant's chance of a match and of the
    control arm, and the chances summarised by type, level and city. Reproducible: the same
    round file, draws and first seed give the same figures (``welcomematch lottery-audit``)."""

    round = models.ForeignKey(
        MatchingRound,
        verbose_name=_("round"),
        on_delete=models.CASCADE,
        related_name="fairness_audits",
    )
    draws = models.PositiveIntegerField(_("draws"))
    first_seed = models.BigIntegerField(_("first seed"))
    #: When the round had run for the input audited (a later run makes the audit outdated).
    round_run_at = models.DateTimeField(_("round run"), null=True, blank=True)
    #: ``{"group"|"household": {reference: [matched draws, control draws]}}``.
    chances = models.JSONField(_("chances"), default=dict)
    #: One row a side, dimension and value: participants, mean/min/max chance of a match,
    #: mean chance of the control arm, how many the eligibility, the rules, the lottery decide.
    summaries = models.JSONField(_("summaries"), default=list)
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
        ordering = ("round", "-created_at", "-id")
        verbose_name = _("lottery audit of a round")
        verbose_name_plural = _("lottery audits of rounds")

    def __str__(self) -> str:
        return f"{self.round} ({self.draws} draws from seed {self.first_seed})"
