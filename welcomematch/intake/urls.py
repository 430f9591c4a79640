from django.urls import path

from welcomematch.intake import views

app_name = "intake"

urlpatterns = [
    path("", views.index, name="index"),
    path("groups/new/", views.group_new, name="group_new"),
    path("groups/<int:pk>/", views.group_detail, name="group_detail"),
    path("groups/<int:pk>/invitations/", views.invitation_new, name="invitation_new"),
    path("groups/<int:pk>/capacity/", views.group_override, name="group_override"),
    path("invitations/<int:pk>/revoke/", views.invitation_revoke_view, name="invitation_revoke"),
    path("households/new/", views.household_new, name="household_new"),
    path("households/<int:pk>/", views.household_detail, name="household_detail"),
    path("households/<int:pk>/vulnerability/", views.household_override, name="household_override"),
    path("rules/", views.rules, name="rules"),
    path("import/", views.import_upload, name="import"),
    path("import/<int:pk>/", views.import_run, name="import_run"),
    path("forms/<slug:kind>.xlsx", views.xlsform, name="xlsform"),
    path("welcome/thanks/", views.welcome_thanks, name="welcome_thanks"),
    path("welcome/<str:token>/", views.welcome, name="welcome"),
    path("welcome/<str:token>/summary/", views.welcome_summary, name="welcome_summary"),
    path("welcome/<str:token>/<slug:step>/", views.welcome_step, name="welcome_step"),
]
