"""Every audit action in words: the one mapping the audit blocks, the audit page's filter and
the audit export use. A new ``action=`` needs its label here (``tests/accounts`` checks)."""

from __future__ import annotations

from django.apps import apps
from django.utils.functional import Promise
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

AUDIT_ACTION_LABELS: dict[str, Promise] = {
    # accounts and the audit trail itself
    "login.succeeded": _("Logged in"),
    "login.logged_out": _("Logged out"),
    "login.failed": _("Failed login attempt"),
    "login.locked_out": _("Login blocked after too many attempts"),
    "user.language": _("Language of the pages changed"),
    "admin.added": _("Added in the administration site"),
    "admin.changed": _("Changed in the administration site"),
    "admin.deleted": _("Deleted in the administration site"),
    "audit.exported": _("Audit trail exported"),
    "audit.purged": _("Old audit events removed (retention period passed)"),
    "record.read": _("Record viewed"),
    "record.downloaded": _("Record downloaded"),
    "file.downloaded": _("File downloaded"),
    # privacy
    "consent.given": _("Consent given"),
    "consent.withdrawn": _("Consent withdrawn"),
    "privacy.erased": _("Personal data erased"),
    "retention.applied": _("Retention periods applied"),
    # programmes and intake
    "programme.rules_updated": _("Vulnerability and capacity rules changed"),
    "programme.targets": _("Targets for waiting times changed"),
    "group.created": _("Welcome Group added"),
    "group.updated": _("Welcome Group's details changed"),
    "group.intake_submitted": _("Intake form sent in by the group"),
    "group.invitation_created": _("Invitation to the intake form sent"),
    "group.invitation_revoked": _("Invitation to the intake form withdrawn"),
    "group.invitation_sent": _("Invitation link sent by e-mail"),
    "group.invitation_reopened": _("Intake form re-opened for corrections"),
    "participant_link.created": _("Personal page link made"),
    "participant_link.renewed": _("Personal page link renewed"),
    "participant_link.revoked": _("Personal page link withdrawn"),
    "participant_link.sent": _("Personal page link sent by e-mail"),
    "group.capacity_overridden": _("Capacity level set by hand"),
    "household.created": _("Household added"),
    "household.updated": _("Household's details changed"),
    "household.vulnerability_overridden": _("Vulnerability level set by hand"),
    "intake.imported": _("Survey export imported"),
    # rounds
    "round.created": _("Round created"),
    "round.run": _("Round run"),
    "round.rerun": _("Round run again"),
    "round.run_queued": _("Running the round requested"),
    "round.run_failed": _("Running the round failed"),
    "round.confirm_queued": _("Confirming the round requested"),
    "round.audit_queued": _("Fairness check of the lottery requested"),
    "round.audit_failed": _("Fairness check of the lottery failed"),
    "round.lottery_audit": _("Fairness check of the lottery done"),
    "round.confirm_failed": _("Confirming the round failed"),
    "round.confirmed": _("Round confirmed"),
    "round.cancelled": _("Round cancelled"),
    "round.adjusted": _("Round adjusted by a coordinator"),
    "round.variant_tried": _("Alternative settings tried for the round"),
    "round.variant_adopted": _("Alternative settings adopted for the round"),
    # matches
    "match.proposed": _("Match proposed by a confirmed round"),
    "match.introduced": pgettext_lazy("audit", "First meeting planned"),
    "match.first_meeting_moved": _("First meeting moved"),
    "match.participant_rating": _("A participant said how it is going"),
    "match.active": _("Match started"),
    "match.ended": _("Match ended early"),
    "match.completed": _("Match completed"),
    "match.ambassador_assigned": _("Cultural ambassador changed"),
    "match.checkin": _("Check-in recorded"),
    "match.goal_added": _("Joint goal added"),
    "match.goal_status": _("Joint goal status changed"),
    "ambassador.created": _("Cultural ambassador added"),
    "ambassador.changed": _("Cultural ambassador's details changed"),
    "contact_person.created": _("Contact person added"),
    "contact_person.changed": _("Contact person's details changed"),
    # the trial
    "study.created": _("Study created"),
    "control.assigned": _("Control household assigned"),
    "trial.deviation": _("Protocol deviation recorded"),
    "trial.withdrawal": _("Withdrawal from the study recorded"),
    "trial.correction": _("Correction of the trial register recorded"),
    "trial.lottery_audit": _("Lottery audit recorded"),
    "trial.register_exported": _("Trial register exported"),
    "trial.research_exported": _("Research files exported"),
    # surveys
    "survey.instrument_version": _("New version of a questionnaire"),
    "survey.wave_opened": _("Survey wave opened"),
    "survey.reminders_sent": _("Survey reminders sent"),
    "survey.reminder_text": _("Text of the survey reminder changed"),
    "survey.interview_entered": _("Survey answers entered from an interview"),
    "survey.response_imported": _("Survey answers imported"),
}


def audit_action_label(action: str) -> str:
    """``action`` in words in the active language; an action without a label (an old name)
    is named as an event of its kind, never as a bare code."""
    label = AUDIT_ACTION_LABELS.get(action)
    if label is not None:
        return str(label)
    return gettext("Other event (%(action)s)") % {"action": action}


def audit_action_choices(actions: list[str]) -> list[tuple[str, str]]:
    """``(action, label)`` of ``actions``, sorted by label: the audit filter's choices."""
    return sorted(((a, audit_action_label(a)) for a in actions), key=lambda c: c[1].lower())


def record_type_label(object_type: str) -> str:
    """An audit event's record type (``intake.household``) as its model's name in words."""
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return object_type
    return str(model._meta.verbose_name).capitalize()
