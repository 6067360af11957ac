"""The public verification pages, /<lang>/verify/ (config/urls.py)."""

from django.urls import path

from documents.views import certificates as views

app_name = "verify"

urlpatterns = [
    path("", views.verify_form, name="form"),
    path("q/<str:payload>/", views.verify_qr, name="qr"),
]
