from django.urls import path

from welcomematch.matching import views

app_name = "matching"

urlpatterns = [
    path("", views.round_list, name="round_list"),
    path("new/", views.round_create, name="round_create"),
    path("<int:pk>/", views.round_detail, name="round_detail"),
    path("<int:pk>/run/", views.round_run, name="round_run"),
    path("<int:pk>/confirm/", views.round_confirm, name="round_confirm"),
    path("<int:pk>/job.json", views.round_job_status, name="round_job_status"),
    path("<int:pk>/cancel/", views.round_cancel, name="round_cancel"),
    path("<int:pk>/variants/", views.round_variant_create, name="round_variant_create"),
    path("<int:pk>/adjust/", views.round_adjust, name="round_adjust"),
    path("<int:pk>/lottery-audit/", views.round_lottery_audit, name="round_lottery_audit"),
    path(
        "<int:pk>/variants/<int:variant>/adopt/",
        views.round_variant_adopt,
        name="round_variant_adopt",
    ),
    path("<int:pk>/input.json", views.round_download, {"kind": "input"}, name="round_input"),
    path("<int:pk>/result.json", views.round_download, {"kind": "result"}, name="round_result"),
]
