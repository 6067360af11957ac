"""The statistics pages, under /<lang>/staff/reports/ (config/urls.py)."""

from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.report_dashboard, name="dashboard"),
    path("export/<slug:table>.<slug:fmt>", views.report_export, name="export"),
]
