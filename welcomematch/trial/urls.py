from django.urls import path

from welcomematch.trial import views

app_name = "trial"

urlpatterns = [
    path("", views.overview, name="overview"),
]
