from django.urls import path

from welcomematch.intake import edit_views, views

app_name = "intake"

urlpatterns = [
    path("", views.index, name="index"),
    path("groups/new/", views.group_new, name="group_new"),
    path("groups/<int:pk>/", views.group_detail, name="group_detail"),
    path("groups/<int:pk>/invitations/", views.invitation_new, name="invitation_new"),
    path("groups/<int:pk>/capacity/", views.group_override, name="group_override"),
    path("groups/<int:pk>/edit/", edit_views.group_edit, name="group_edit"),
    path("groups/<int:pk>/withdraw/", edit_views.group_withdraw_view, name="group_withdraw"),
    path("groups/<int:pk>/reinstate/", edit_views.group_reinstate_view, name="group_reinstate"),
    path("groups/<int:pk>/reopen/", edit_views.group_reopen, name="group_reopen"),
    path("invitations/<int:pk>/revoke/", views.invitation_revoke_view, name="invitation_revoke"),
    path("households/new/", views.household_new, name="household_new"),
    path("households/<int:pk>/", views.household_detail, name="household_detail"),
    path("households/<int:pk>/vulnerability/", views.household_override, name="household_override"),
    path("households/<int:pk>/edit/", edit_views.household_edit, name="household_edit"),
    path(
        "households/<int:pk>/withdraw/",
        edit_views.household_withdraw_view,
        name="household_withdraw",
    ),
    path(
        "households/<int:pk>/reinstate/",
        edit_views.household_reinstate_view,
        name="household_reinstate",
    ),
    path("rules/", views.rules, name="rules"),
    path("import/", views.import_upload, name="import"),
    path("import/<int:pk>/", views.import_run, name="import_run"),
    path("forms/<slug:kind>.xlsx", views.xlsform, name="xlsform"),
    path("welcome/thanks/", views.welcome_thanks, name="welcome_thanks"),
    path("welcome/<str:token>/", views.welcome, name="welcome"),
    path("welcome/<str:token>/summary/", views.welcome_summary, name="welcome_summary"),
    path("welcome/<str:token>/<slug:step>/", views.welcome_step, name="welcome_step"),
]
