from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "welcomematch.accounts"
    label = "accounts"
    verbose_name = _("Accounts and audit trail")

    def ready(self) -> None:
        from welcomematch.accounts import signals  # noqa: F401  (connects the receivers)
