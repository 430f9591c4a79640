from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _decimal_mark() -> str:
    from django.utils import formats

    return str(formats.get_format("DECIMAL_SEPARATOR"))


class WebConfig(AppConfig):
    name = "welcomematch.web"
    label = "web"
    verbose_name = _("Web pages")

    def ready(self) -> None:
        from welcomematch import charts

        # Charts drawn for a page write numbers with the page language's decimal mark.
        charts.use_decimal_mark(_decimal_mark)
