from django.urls import path

from welcomematch.privacy import views

app_name = "privacy"

urlpatterns = [
    path(
        "households/<int:pk>/consent/",
        views.consent,
        {"kind": "household"},
        name="household_consent",
    ),
    path(
        "households/<int:pk>/export.json",
        views.export,
        {"kind": "household"},
        name="household_export",
    ),
    path("households/<int:pk>/erase/", views.erase, {"kind": "household"}, name="household_erase"),
    path("groups/<int:pk>/consent/", views.consent, {"kind": "group"}, name="group_consent"),
    path("groups/<int:pk>/export.json", views.export, {"kind": "group"}, name="group_export"),
    path("groups/<int:pk>/erase/", views.erase, {"kind": "group"}, name="group_erase"),
]
