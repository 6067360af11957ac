"""The audit trail in the admin: read-only for everybody, superusers included. Reading it is
itself recorded, as on the auditors' search page (/staff/audit/)."""

from django.contrib import admin

from core.admin import ReadOnlyAdminMixin

from .audit import audit_record
from .models import AuditAction, AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "timestamp",
        "actor_username",
        "action",
        "object_type",
        "object_label",
        "office_id",
        "ip",
    )
    list_filter = ("action",)
    search_fields = ("=actor_username", "=object_id")
    date_hierarchy = "timestamp"
    readonly_fields = fields = (
        "id",
        "timestamp",
        "actor_username",
        "action",
        "object_type",
        "object_id",
        "object_label",
        "office_id",
        "subject_hmac",
        "ip",
        "user_agent",
        "details",
    )

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        if response.status_code == 200:
            details = {"page": "admin list", "query": request.GET.urlencode()}
            audit_record(
                actor=request.user,
                action=AuditAction.VIEW,
                obj=AuditEntry,
                request=request,
                details=details,
            )
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        entry = getattr(response, "context_data", {}).get("original")
        if response.status_code == 200 and entry is not None:
            audit_record(actor=request.user, action=AuditAction.VIEW, obj=entry, request=request)
        return response
