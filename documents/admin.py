"""Admin pages of document requests: office-scoped (accounts/admin_scoping.py), read-only.

A request's status never changes here by editing: the only change is the admin action "start
the review", which goes through documents.workflow like the console does. Decisions are taken in
the reviewer console, which asks for the second factor and the second officer. Every look at a
request's personal data is audited."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.actions import audit_record
from accounts.admin_scoping import OfficeScopedAdminMixin, ServiceOfferedAdminMixin
from accounts.models import AuditAction
from core.admin import ReadOnlyAdminMixin
from core.errors import DomainError

from . import actions
from .definitions import definition_errors
from .models import (
    Certificate,
    DocumentRequest,
    DocumentType,
    DocumentTypeVersion,
    PendingDecision,
    RequestEvent,
    RequestMaterial,
)

DEFINITION_HELP = _(
    "A list of fields, in order. Each: key (lower-case letters, digits, _), type (text, date, "
    "date_range, choice, id_number, mobile, address, yes_no, number), label_zh, label_en, "
    "help_zh, help_en, required (true/false); choice: choices [{value, label_zh, label_en}]; "
    "text/address: max_length; number: minimum, maximum; date_range: max_years, "
    "not_before_birth, not_in_future; shown only when another field has a value: "
    "show_if {key, equals}. Example: "
    '[{"key": "purpose", "type": "choice", "label_zh": "用途", "label_en": "Purpose", '
    '"required": true, "choices": [{"value": "job", "label_zh": "就业", "label_en": "Job"}]}]'
)
MATERIALS_HELP = _(
    "A list of materials. Each: kind (lower-case letters, digits, _), label_zh, label_en, "
    "help_zh, help_en, required (always, on_behalf or optional), max_files (1–5), formats "
    "(pdf, jpeg, png), max_mb (1–5). Files are checked by their content as every upload is."
)


class DocumentTypeForm(forms.ModelForm):
    class Meta:
        model = DocumentType
        fields = ["code", "service", "name_zh", "name_en", "is_active", "fields", "materials",
                  "time_limit_days", "review_officers", "outcome", "number_prefix",
                  "validity_months", "statement_zh", "statement_en"]
        widgets = {
            "fields": forms.Textarea(attrs={"rows": 18, "cols": 100, "class": "vLargeTextField",
                                            "spellcheck": "false"}),
            "materials": forms.Textarea(attrs={"rows": 10, "cols": 100,
                                               "class": "vLargeTextField", "spellcheck": "false"}),
        }
        help_texts = {"fields": DEFINITION_HELP, "materials": MATERIALS_HELP}

    def clean(self):
        data = super().clean()
        if "fields" in data and "materials" in data:
            for problem in definition_errors(data["fields"], data["materials"]):
                self.add_error(None, problem)
        return data


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class VersionInline(ReadOnlyInline):
    model = DocumentTypeVersion
    fields = readonly_fields = ["number", "created_at", "created_by"]
    verbose_name_plural = _("published versions (requests keep the one they were made with)")


@admin.register(DocumentType)
class DocumentTypeAdmin(ServiceOfferedAdminMixin, admin.ModelAdmin):
    """Online services defined without code: saving publishes a new form version when the form
    changed; the preview shows the form as a resident sees it. An office manager sees and
    edits the definitions of the services their offices offer (ServiceOfferedAdminMixin)."""

    form = DocumentTypeForm
    list_display = ["code", "name_zh", "service", "version", "time_limit_days", "outcome",
                    "is_active", "preview_link"]
    list_filter = ["is_active", "outcome"]
    search_fields = ["code", "name_zh", "name_en", "service__code"]
    readonly_fields = ["version"]
    inlines = [VersionInline]
    fieldsets = [
        (None, {"fields": ["code", "service", "name_zh", "name_en", "is_active", "version"]}),
        (_("Form"), {"fields": ["fields", "materials"]}),
        (_("Review"), {"fields": ["time_limit_days", "review_officers"]}),
        (_("Outcome"), {"fields": ["outcome", "number_prefix", "validity_months",
                                   "statement_zh", "statement_en"]}),
    ]

    @admin.display(description=_("preview"))
    def preview_link(self, obj: DocumentType) -> str:
        url = reverse("admin:documents_documenttype_preview", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Preview the form"))

    def get_urls(self):
        preview = self.admin_site.admin_view(self.preview_view)
        return [path("<int:pk>/preview/", preview, name="documents_documenttype_preview"),
                *super().get_urls()]

    def preview_view(self, request, pk: int):
        from .views.resident import form_preview

        doc_type = self.get_object(request, str(pk))
        if doc_type is None or not self.has_view_permission(request, doc_type):
            raise PermissionDenied
        return form_preview(request, doc_type)

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        try:
            version = actions.doc_type_publish(doc_type=obj, actor=request.user)
        except DomainError as refusal:  # the form's clean() checked it already
            self.message_user(request, str(refusal), messages.ERROR)
        else:
            self.message_user(request, _("Published as form version %(n)s.")
                              % {"n": version.number}, messages.SUCCESS)


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
