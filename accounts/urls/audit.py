"""The auditors' search of the audit trail, under /<lang>/staff/audit/ (config/urls.py)."""

from django.urls import path

from accounts.views import audit as views_audit

app_name = "audit"

urlpatterns = [
    path("", views_audit.audit_list, name="list"),
]
