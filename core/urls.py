from django.urls import path

from core.views import health as views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("privacy/", views.privacy_notice, name="privacy"),
]
