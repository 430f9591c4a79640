from django.urls import path

from welcomematch.trial import views

app_name = "trial"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("study/", views.study, name="study"),
    path("study/create/", views.study_create, name="study_create"),
    path("study/register.zip", views.register_export, name="register_export"),
    path("study/research.zip", views.research_export, name="research_export"),
    path("study/deviation/", views.deviation, name="deviation"),
    path("study/withdrawal/", views.withdrawal, name="withdrawal"),
    path("study/lottery-audit/", views.lottery_audit, name="lottery_audit"),
]
