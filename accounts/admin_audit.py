"""The audit trail in the admin: read-only for everybody, superusers included. Reading it is
itself recorded, as on the auditors' search page (/staff/audit/).

`AuditedAdminMixin`: the admin's saves and deletes of audited records write their entries
through the same calls as the actions (accounts/audit_changes.py)."""

from django.contrib import admin
from django.db import models, transaction

from core.admin import ReadOnlyAdminMixin

from .audit import audit_record
from .audit_changes import (
    AUDITED,
    audit_changed,
    audit_created,
    audit_deleted,
    audit_related,
    audit_values,
    audited,
)
from .models import AuditAction, AuditEntry


class AuditedAdminMixin:
    """For the ModelAdmin of an audited model (put it first among the bases): each record
    added, changed or deleted, in the form, its inlines or the list, and each many-to-many link
    made or undone, is one entry named by the staff member, in the admin's transaction. A
    ModelAdmin whose save or delete calls an action leaves that entry to the action."""

    def save_model(self, request, obj, form, change) -> None:
        before = _stored_values(obj) if change else None
        super().save_model(request, obj, form, change)
        if before is None:
            audit_created(obj, actor=request.user, request=request)
        else:
            audit_changed(obj, before, actor=request.user, request=request)

    def save_related(self, request, form, formsets, change) -> None:
        obj = form.instance
        names = [n for n in _m2m_fields(obj) if n in form.cleaned_data]
        before = {n: set(getattr(obj, n).all()) for n in names}
        super().save_related(request, form, formsets, change)
        for name in names:
            after = set(getattr(obj, name).all())
            audit_related(
                obj, name, added=_by_pk(after - before[name]), removed=_by_pk(before[name] - after),
                actor=request.user, request=request,
            )  # fmt: skip

    def save_formset(self, request, form, formset, change) -> None:
        if not audited(formset.model):
            return super().save_formset(request, form, formset, change)
        who = {"actor": request.user, "request": request}
        for deleted in formset.deleted_forms:
            if deleted.instance.pk is not None:
                audit_deleted(deleted.instance, **who)
        stored = formset.model._base_manager.in_bulk(
            [f.instance.pk for f in formset.initial_forms if f.instance.pk is not None]
        )
        before = {pk: audit_values(row) for pk, row in stored.items()}
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            audit_created(obj, **who)
        for obj, _names in formset.changed_objects:
            audit_changed(obj, before.get(obj.pk, {}), **who)

    def delete_model(self, request, obj) -> None:
        with transaction.atomic():
            _audit_deletion(request, obj)
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        with transaction.atomic():
            for obj in queryset:
                _audit_deletion(request, obj)
            super().delete_queryset(request, queryset)


def _stored_values(obj) -> dict[str, str]:
    stored = type(obj)._base_manager.filter(pk=obj.pk).first()
    return audit_values(stored) if stored is not None else {}


def _m2m_fields(obj) -> list[str]:
    return sorted(AUDITED[obj._meta.label].get("m2m_fields", ()))


def _by_pk(objects: set) -> list:
    return sorted(objects, key=lambda o: o.pk)


def _audit_deletion(request, obj) -> None:
    """The record and the audited records deleted with it (an office's opening hours, its
    schedules and their periods), those first."""
    for rel in obj._meta.related_objects:
        if rel.on_delete is models.CASCADE and not rel.many_to_many:
            for child in rel.related_model._base_manager.filter(**{rel.field.name: obj}):
                _audit_deletion(request, child)
    if audited(obj):
        audit_deleted(obj, actor=request.user, request=request)


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
