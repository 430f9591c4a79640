from django.urls import path

from welcomematch.surveys import import_views

app_name = "survey_import"

urlpatterns = [
    path("", import_views.survey_import, name="upload"),
]
