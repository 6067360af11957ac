"""The holder's unlock link of a locked look-up, under /<lang>/unlock/ (config/urls.py)."""

from django.urls import path

from accounts.views import unlock as views_lookup

app_name = "unlock"

urlpatterns = [path("<str:token>/", views_lookup.unlock_link, name="link")]
