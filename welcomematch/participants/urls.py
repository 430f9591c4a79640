from django.urls import path

from welcomematch.participants import views

app_name = "participants"

urlpatterns = [
    path("groups/<int:pk>/link/", views.group_link, name="group_link"),
    path("households/<int:pk>/link/", views.household_link, name="household_link"),
    path("p/<str:token>/", views.page, name="page"),
    path("p/<str:token>/language/", views.page_language, name="page_language"),
    path("p/<str:token>/first-meeting/", views.first_meeting, name="first_meeting"),
    path("p/<str:token>/how-it-goes/", views.rating, name="rating"),
    path("p/<str:token>/survey/", views.survey, name="survey"),
]
