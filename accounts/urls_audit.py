"""The auditors' search of the audit trail, under /<lang>/staff/audit/ (config/urls.py)."""

from django.urls import path

from . import views_audit

app_name = "audit"

urlpatterns = [
    path("", views_audit.audit_list, name="list"),
]
