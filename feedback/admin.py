"""Evaluations, follow-up cases and the director's mailbox in the admin: read-only records,
office-scoped (accounts/admin_scoping.py). Closing a case and answering a message go through
the staff pages, so the resident is told; contact data is not shown here at all (the staff pages
show it on request, audited)."""

from django.contrib import admin

from accounts.actions import audit_record
from accounts.admin_scoping import OfficeScopedAdminMixin
from accounts.models import AuditAction

from .models import Evaluation, FollowUpCase, Invitation, MailboxItem


class ReadOnlyAdmin(OfficeScopedAdminMixin, admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return self.fields or [field.name for field in self.model._meta.fields]


class AuditedViewMixin:
    """A look at a record that holds residents' words leaves an entry in the audit trail."""

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        obj = (getattr(response, "context_data", None) or {}).get("original")
        if response.status_code == 200 and obj is not None:
            audit_record(
                actor=request.user,
                action=AuditAction.VIEW,
                obj=obj,
                request=request,
                details={"page": "record"},
            )
        return response


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "kind", "subject_ref", "office", "expires_at", "used_at")
    list_filter = ("kind", "office")
    search_fields = ("=subject_ref",)
    list_select_related = ("office", "service")
    fields = (
        "kind", "subject_ref", "office", "service", "counter", "visit_at", "language",
        "created_at", "expires_at", "used_at", "anonymised_at",
    )


@admin.register(Evaluation)
class EvaluationAdmin(AuditedViewMixin, ReadOnlyAdmin):
    list_display = ("created_at", "rating", "office", "service", "counter", "visit_on")
    list_filter = ("rating", "kind", "office")
    date_hierarchy = "visit_on"
    list_select_related = ("office", "service", "counter")
    fields = (
        "kind", "office", "service", "counter", "visit_on", "rating", "tags", "comment",
        "created_at", "anonymised_at",
    )


@admin.register(FollowUpCase)
class FollowUpCaseAdmin(ReadOnlyAdmin):
    list_display = ("pk", "due_on", "status", "office", "escalated_at", "closed_at")
    list_filter = ("status", "office")
    date_hierarchy = "due_on"
    list_select_related = ("office",)
    fields = (
        "evaluation", "office", "status", "due_on", "action_taken", "closed_by", "closed_at",
        "escalated_at", "created_at",
    )


@admin.register(MailboxItem)
class MailboxItemAdmin(AuditedViewMixin, ReadOnlyAdmin):
    list_display = ("reference", "due_on", "status", "category", "office", "subject", "created_at")
    list_filter = ("status", "category", "office")
    search_fields = ("=reference",)
    date_hierarchy = "created_at"
    list_select_related = ("office",)
    fields = (
        "reference", "category", "office", "subject", "text", "phone_masked", "attachment_name",
        "status", "due_on", "answer", "answered_by", "answered_at", "escalated_at", "created_at",
        "anonymised_at",
    )
