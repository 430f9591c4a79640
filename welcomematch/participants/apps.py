from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParticipantsConfig(AppConfig):
    name = "welcomematch.participants"
    label = "participants"
    verbose_name = _("Participant pages")
