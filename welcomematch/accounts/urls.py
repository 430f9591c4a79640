from django.urls import path

from welcomematch.accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.audit_list, name="audit_list"),
    path("export.csv", views.audit_export, name="audit_export"),
]
