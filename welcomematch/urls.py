"""URL configuration: one include per app."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from welcomematch.accounts import language as account_language

urlpatterns = [
    path("i18n/setlang/", account_language.set_language, name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("login/", account_language.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("intake/", include("welcomematch.intake.urls")),
    path("rounds/", include("welcomematch.matching.urls")),
    path("matches/", include("welcomematch.lifecycle.urls")),
    path("trial/", include("welcomematch.trial.urls")),
    path("reports/", include("welcomematch.reports.urls")),
    path("surveys/import/", include("welcomematch.surveys.import_urls")),
    path("audit/", include("welcomematch.accounts.urls")),
    path("surveys/", include("welcomematch.surveys.urls")),
    path("privacy/", include("welcomematch.privacy.urls")),
    path("participants/", include("welcomematch.participants.urls")),
    path("", include("welcomematch.web.urls")),
]
