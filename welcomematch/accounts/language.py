"""Login and the language switch: the user's chosen language is remembered and applied.

On a first visit the browser's ``Accept-Language`` picks Dutch or English (Django's
``LocaleMiddleware``; Dutch when the browser asks for neither). A choice made with the switch is
kept in the language cookie and, for a logged-in user, on the user; at login the user's own
choice is applied.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from welcomematch.accounts.models import User
from welcomematch.accounts.services import user_set_language


def _remember(response: HttpResponse, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


class LoginView(auth_views.LoginView):
    """Django's login, then the user's own language (if they ever chose one)."""

    def form_valid(self, form: Form) -> HttpResponse:
        response = super().form_valid(form)  # type: ignore[arg-type]
        user = self.request.user
        if isinstance(user, User) and user.language:
            translation.activate(user.language)
            _remember(response, user.language)
        return response


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch, remembered on the user when they are logged in."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    user = request.user
    # Anything but one of the site's languages is ignored, as Django's view ignores it.
    if (
        isinstance(user, User)
        and user.is_authenticated
        and language in {code for code, _name in settings.LANGUAGES}
    ):
        user_set_language(user=user, language=language)
    return response
