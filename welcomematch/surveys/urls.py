from django.urls import path

from welcomematch.surveys import views

app_name = "surveys"

urlpatterns = [
    path("", views.index, name="index"),
    path("waves/<int:pk>/", views.wave_detail, name="wave"),
    path("waves/<int:pk>/reminders/", views.wave_reminders, name="reminders"),
    path("respondents/<int:pk>/text/", views.respondent_text, name="respondent_text"),
    path("respondents/<int:pk>/interview/", views.interview, name="interview"),
    path("r/<str:token>/", views.take, name="take"),
    path("r/<str:token>/language/", views.take_language, name="take_language"),
    path("r/<str:token>/<int:page>/", views.take_page, name="take_page"),
]
