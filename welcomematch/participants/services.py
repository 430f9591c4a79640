"""Writers of the participant pages: personal links (issue, renew, revoke, send), the page's
language, visits (audited reads) and opening a survey from the page.

Keyword-only, one transaction each, audited; error messages are the module constants below.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from welcomematch.accounts.models import User
from welcomematch.accounts.services import audit_record
from welcomematch.i18n import message
from welcomematch.intake.models import Household, WelcomeGroup
from welcomematch.mail.services import mail_enqueue, render_message
from welcomematch.participants import selectors
from welcomematch.participants.models import ParticipantLink
from welcomematch.surveys import services as surveys
from welcomematch.surveys.models import Respondent, Side
from welcomematch.tokens import new_token, token_hash

#: Days a personal page link works: the match's year and some margin; renew it any time.
LINK_VALID_DAYS = 400

ERR_SUBJECT = "Give exactly one of a group or a household."
ERR_NO_EMAIL = _("%(reference)s has no e-mail address: copy the link and send it another way.")
ERR_NO_LINK = _("%(reference)s has no working personal link to withdraw.")
ERR_LANGUAGE = _("Language %(language)s is not offered.")
ERR_SURVEY = _("This survey is not open for you any more.")


@dataclass(frozen=True)
class LinkIssued:
    link: ParticipantLink
    token: str
    url: str
    emailed_to: str = ""


def page_url(*, base_url: str, token: str) -> str:
    return base_url.rstrip("/") + reverse("participants:page", args=[token])


def participant_language(subject: selectors.Subject) -> str:
    """The language a page first speaks: the participant's recorded language, by the same
    rule as their survey links (``surveys.services.respondent_language``)."""
    if isinstance(subject, WelcomeGroup):
        return surveys.respondent_language(
            side=Side.GROUP_MEMBER, household=None, languages=subject.languages
        )
    return surveys.respondent_language(
        side=Side.NEWCOMER, household=subject, languages=subject.languages
    )


def _subject(group: WelcomeGroup | None, household: Household | None) -> selectors.Subject:
    if (group is None) == (household is None):
        raise ValueError(ERR_SUBJECT)
    if group is not None:
        return WelcomeGroup.objects.select_for_update().select_related("programme").get(pk=group.pk)
    assert household is not None
    return Household.objects.select_for_update().select_related("programme").get(pk=household.pk)


def _email_of(subject: selectors.Subject) -> str:
    return subject.contact_email or ""


@transaction.atomic
def participant_link_renew(
    *,
    actor: User | None,
    base_url: str,
    group: WelcomeGroup | None = None,
    household: Household | None = None,
    send_email: bool = False,
    days: int = LINK_VALID_DAYS,
    now: datetime | None = None,
) -> LinkIssued:
    """A new personal page link for a group or a household; any earlier link stops working.
    Only the token's hash is stored: the returned token is shown once. With ``send_email``
    the link is queued as an e-mail in the participant's language."""
    now = now or timezone.now()
    subject = _subject(group, household)
    address = _email_of(subject)
    if send_email and not address:
        raise ValidationError(message(ERR_NO_EMAIL, reference=subject.reference))
    earlier = list(selectors.links_of(subject).live(now=now).select_for_update(of=("self",)))
    replaced = [row.pk for row in earlier]
    language = earlier[0].language if earlier else participant_language(subject)
    selectors.links_of(subject).filter(pk__in=replaced).update(revoked_at=now)
    token = new_token()
    link = ParticipantLink(
        group=subject if isinstance(subject, WelcomeGroup) else None,
        household=subject if isinstance(subject, Household) else None,
        token_hash=token_hash(token),
        language=language,
        created_by=actor if actor is not None and actor.pk else None,
        expires_at=now + timedelta(days=days),
    )
    link.full_clean()
    link.save()
    ever = selectors.links_of(subject).exclude(pk=link.pk).exists()
    audit_record(
        actor=actor,
        action="participant_link.renewed" if ever else "participant_link.created",
        obj=subject,
        data={"link": link.pk, "expires_at": link.expires_at.isoformat(), "replaced": replaced},
    )
    url = page_url(base_url=base_url, token=token)
    emailed_to = ""
    if send_email:
        rendered = render_message(
            template="participants/mail/link",
            context={
                "link": url,
                "name": selectors.participant_greeting(subject),
                "programme": subject.programme.name,
                "expires_at": link.expires_at,
            },
            language=language,
        )
        mail_enqueue(
            to=address, rendered=rendered, language=language, purpose="participant.link", about=link
        )
        audit_record(
            actor=actor,
            action="participant_link.sent",
            obj=subject,
            data={"link": link.pk, "language": language},
        )
        emailed_to = address
    return LinkIssued(link=link, token=token, url=url, emailed_to=emailed_to)


@transaction.atomic
def participant_link_revoke(
    *,
    actor: User | None,
    group: WelcomeGroup | None = None,
    household: Household | None = None,
    now: datetime | None = None,
) -> int:
    """Withdraw the working personal link of a group or a household (the page closes)."""
    now = now or timezone.now()
    subject = _subject(group, household)
    live = list(selectors.links_of(subject).live(now=now).values_list("pk", flat=True))
    if not live:
        raise ValidationError(message(ERR_NO_LINK, reference=subject.reference))
    selectors.links_of(subject).filter(pk__in=live).update(revoked_at=now)
    audit_record(actor=actor, action="participant_link.revoked", obj=subject, data={"links": live})
    return len(live)


def participant_link_set_language(*, link: ParticipantLink, language: str) -> ParticipantLink:
    """The participant chose the language of their page (and of later e-mails of the link)."""
    if language not in selectors.PAGE_LANGUAGES:
        raise ValidationError(message(ERR_LANGUAGE, language=language))
    ParticipantLink.objects.filter(pk=link.pk).update(language=language)
    link.language = language
    return link


@transaction.atomic
def participant_page_visit(
    *, link: ParticipantLink, sensitive: bool, now: datetime | None = None
) -> None:
    """Record a visit of a personal page: an audited read of the group's or household's
    record (``sensitive`` when the page showed sensitive data)."""
    now = now or timezone.now()
    ParticipantLink.objects.filter(pk=link.pk).update(last_visited_at=now)
    audit_record(
        actor=None,
        action="record.read",
        obj=selectors.subject_of(link),
        data={"what": "participant:page", "sensitive": sensitive, "link": link.pk},
    )


@transaction.atomic
def participant_survey_open(*, link: ParticipantLink, respondent_id: int, base_url: str) -> str:
    """Open one of the page's open surveys: a fresh personal survey link for that person
    (``surveys.services.respondent_new_link``; the earlier one stops working, answers saved
    so far stay). Only a survey the page lists can be opened."""
    listed = {s.respondent_id for s in selectors.open_surveys(selectors.subject_of(link))}
    if respondent_id not in listed:
        raise ValidationError(ERR_SURVEY)
    respondent = Respondent.objects.get(pk=respondent_id)
    url, _text = surveys.respondent_new_link(respondent=respondent, actor=None, base_url=base_url)
    return url
