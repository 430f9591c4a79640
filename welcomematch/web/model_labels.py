"""Choice labels of other apps' models that the web pages show.

Listed here with ``gettext_noop`` so that ``makemessages`` run in this app puts them in the
web catalog: the pages are then fully Dutch before the other apps ship catalogs of their
own. Translation is by message id, so a later catalog of the owning app simply agrees.
Nothing imports this module.
"""

from django.utils.translation import gettext_noop as _

MODEL_LABELS = (
    # lifecycle.MatchStatus
    _("Proposed"),
    _("First meeting planned"),
    _("Active"),
    _("Ended early"),
    _("Completed"),
    # intake.Gender, intake.Person.Relation, intake.ContactKind, intake.CEFR
    _("Woman"),
    _("Man"),
    _("Other"),
    _("Prefer not to say"),
    _("Main contact"),
    _("Partner"),
    _("Child"),
    _("Other relative"),
    _("Practical goals"),
    _("Friendship"),
    _("Both"),
    _("None"),
    # matching.RoundStatus, matching.ProposalRole
    _("Draft"),
    _("Confirmed"),
    _("Cancelled"),
    _("Match (treatment)"),
    _("Control"),
    # accounts.Role
    _("Administrator"),
    _("Coordinator"),
    _("Cultural ambassador"),
    _("Researcher"),
)
