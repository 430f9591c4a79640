from django.urls import path

from welcomematch.lifecycle import views

app_name = "lifecycle"

urlpatterns = [
    path("", views.match_list, name="match_list"),
    path("<int:pk>/", views.match_detail, name="match_detail"),
    path("<int:pk>/first-meeting/", views.match_first_meeting, name="match_first_meeting"),
    path("<int:pk>/start/", views.match_start, name="match_start"),
    path("<int:pk>/complete/", views.match_complete, name="match_complete"),
    path("<int:pk>/end/", views.match_end, name="match_end"),
    path("<int:pk>/ambassador/", views.match_ambassador, name="match_ambassador"),
    path("<int:pk>/check-ins/", views.checkin_add, name="checkin_add"),
    path("<int:pk>/goals/", views.goal_add, name="goal_add"),
    path("<int:pk>/goals/<int:goal_pk>/status/", views.goal_status, name="goal_status"),
]
