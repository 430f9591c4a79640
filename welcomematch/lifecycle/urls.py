from django.urls import path

from welcomematch.lifecycle import views

app_name = "lifecycle"

urlpatterns = [
    path("", views.match_list, name="match_list"),
    path("ambassadors/", views.ambassador_list, name="ambassador_list"),
    path("ambassadors/new/", views.ambassador_new, name="ambassador_new"),
    path("ambassadors/suggest/", views.ambassador_suggest, name="ambassador_suggest"),
    path("ambassadors/<int:pk>/", views.ambassador_load, name="ambassador_load"),
    path("ambassadors/<int:pk>/edit/", views.ambassador_edit, name="ambassador_edit"),
    path("contact-persons/", views.contact_person_list, name="contact_person_list"),
    path("contact-persons/new/", views.contact_person_new, name="contact_person_new"),
    path("contact-persons/<int:pk>/edit/", views.contact_person_edit, name="contact_person_edit"),
    path("waiting/", views.waiting_times, name="waiting_times"),
    path("waiting/targets/", views.waiting_targets, name="waiting_targets"),
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
