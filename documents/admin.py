"""Admin pages of document requests: office-scoped (accounts/admin_scoping.py), read-only.

A request's status never changes here by editing: the only change is the admin action "start
the review", which goes through documents.workflow like the console does. Decisions are taken in
the reviewer console, which asks for the second factor and the second officer. Every look at a
request's personal data is audited."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from accounts.actions import audit_record
from accounts.admin_scoping import OfficeScopedAdminMixin
from accounts.models import AuditAction
from core.admin import ReadOnlyAdminMixin
from core.errors import DomainError

from . import actions
from .models import (
    Certificate,
    DocumentRequest,
    DocumentType,
    PendingDecision,
    RequestEvent,
    RequestMaterial,
)


@admin.register(DocumentType)
class DocumentTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "service", "time_limit_days", "validity_months",
                    "number_prefix", "is_active"]
    list_filter = ["is_active"]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class MaterialInline(ReadOnlyInline):
    model = RequestMaterial
    fields = readonly_fields = ["kind", "original_name", "content_type", "size", "uploaded_at"]


class EventInline(ReadOnlyInline):
    model = RequestEvent
    fields = readonly_fields = ["at", "transition", "from_status", "to_status", "actor",
                                "message"]


@admin.register(DocumentRequest)
class DocumentRequestAdmin(OfficeScopedAdminMixin, admin.ModelAdmin):
    list_display = ["reference", "doc_type", "office", "holder_name", "holder_id_masked",
                    "status", "due_on", "reviewer"]
    list_filter = ["status", "doc_type", "office"]
    search_fields = ["reference"]
    date_hierarchy = "submitted_at"
    fields = readonly_fields = [
        "reference", "doc_type", "office", "status", "applicant_name", "applicant_id_masked",
        "on_behalf", "holder_name", "holder_id_masked", "phone", "email", "purpose",
        "purpose_other", "receiving_org", "period_from", "period_to", "submitted_at", "due_on",
        "paused_at", "escalated_at", "reviewer", "info_request", "decided_at", "decided_by",
        "decision_reason", "api_client",
    ]
    inlines = [MaterialInline, EventInline]
    actions = ["start_review"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Start the review of the selected requests"),
                  permissions=["change"])
    def start_review(self, request, queryset) -> None:
        started, refused = 0, 0
        for req in queryset:
            try:
                actions.request_start_review(request=req, actor=request.user)
                started += 1
            except DomainError:
                refused += 1
        self.message_user(request, _("Review started: %(n)s; not possible: %(m)s.")
                          % {"n": started, "m": refused},
                          messages.SUCCESS if not refused else messages.WARNING)

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        if response.status_code == 200:
            audit_record(actor=request.user, action=AuditAction.VIEW, obj=DocumentRequest,
                         request=request, details={"page": "list",
                                                   "query": request.GET.urlencode()})
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        obj = (getattr(response, "context_data", None) or {}).get("original")
        if response.status_code == 200 and obj is not None:
            actions.request_read_record(request=obj, actor=request.user, http_request=request,
                                        what="admin")
        return response


@admin.register(PendingDecision)
class PendingDecisionAdmin(ReadOnlyAdminMixin, OfficeScopedAdminMixin, admin.ModelAdmin):
    office_field = "request__office"
    list_display = ["request", "transition", "proposed_by", "proposed_at", "confirmed_by",
                    "outcome"]
    list_filter = ["transition", "outcome"]
    fields = readonly_fields = ["request", "transition", "reason", "proposed_by", "proposed_at",
                                "confirmed_by", "closed_at", "outcome"]


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdminMixin, OfficeScopedAdminMixin, admin.ModelAdmin):
    """Read-only: certificates are issued by the PDF task and revoked in the reviewer console
    (a second officer and a fresh second factor); the verification code is never stored."""

    list_display = ["number", "doc_type", "office", "holder_name", "holder_id_masked",
                    "issued_on", "valid_until", "status"]
    list_filter = ["status", "doc_type", "office"]
    search_fields = ["number"]
    date_hierarchy = "issued_on"
    fields = readonly_fields = [
        "number", "request", "doc_type", "office", "holder_name", "holder_id_masked",
        "purpose_text", "receiving_org", "issued_on", "valid_until", "status", "pdf_sha256",
        "pdf_generated_at", "notified_at", "revoked_at", "revoked_reason",
    ]
