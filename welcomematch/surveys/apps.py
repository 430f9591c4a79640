from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def install_shipped_instruments_after_migrate(apps: Any = None, **kwargs: Any) -> None:
    """Put back the shipped instruments when they are missing, e.g. after ``flush`` (which
    empties every table, also rows a data migration wrote, and then sends ``post_migrate``)."""
    from django.apps import apps as global_apps

    from welcomematch.surveys.catalogue import install_shipped_instruments

    apps = apps or global_apps

    try:
        instrument = apps.get_model("surveys", "Instrument")
        item = apps.get_model("surveys", "Item")
    except LookupError:  # migrating backwards past the surveys app
        return
    install_shipped_instruments(instrument, item)


class SurveysConfig(AppConfig):
    name = "welcomematch.surveys"
    label = "surveys"
    verbose_name = _("Evaluation surveys")

    def ready(self) -> None:
        post_migrate.connect(
            install_shipped_instruments_after_migrate,
            sender=self,
            dispatch_uid="surveys.install_shipped_instruments",
        )
