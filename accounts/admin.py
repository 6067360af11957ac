from django.apps import apps
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from . import actions
from .admin_audit import AuditedAdminMixin  # (importing it registers the read-only audit trail)
from .admin_scoping import OfficeScopedAdminMixin
from .audit import audit_record
from .models import ApiClient, AuditAction, StaffRole, User


@admin.register(User)
class UserAdmin(AuditedAdminMixin, BaseUserAdmin):
    fieldsets = BaseUserAdmin.fieldsets + ((_("Contact"), {"fields": ("phone",)}),)
    list_display = ("username", "email", "phone", "is_staff", "is_active")

    # Standing comes from staff roles (StaffRoleAdmin); only a superuser hands out more, and only
    # a superuser may change a superuser (their password included).
    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if request.user.is_superuser:
            return fields
        return (*fields, "is_staff", "is_superuser", "groups", "user_permissions")

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(StaffRole)
class StaffRoleAdmin(OfficeScopedAdminMixin, admin.ModelAdmin):
    """System administrators grant and revoke roles here (office managers see their offices').
    A role is never edited: revoke it and grant another, so that the trail shows both (the
    actions write the entries)."""

    list_display = ("user", "role", "office", "granted_at")
    list_filter = ("role", "office")
    search_fields = ("user__username", "user__first_name", "user__last_name")
    list_select_related = ("user", "office")
    autocomplete_fields = ("user",)
    fields = ("user", "role", "office", "granted_at")
    readonly_fields = ("granted_at",)

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        grant = actions.staff_role_grant(
            user=obj.user, role=obj.role, office=obj.office, granted_by=request.user
        )
        obj.pk, obj.granted_at = grant.pk, grant.granted_at

    def delete_model(self, request, obj) -> None:
        actions.staff_role_revoke(staff_role=obj, revoked_by=request.user)

    def delete_queryset(self, request, queryset) -> None:
        for grant in queryset.select_related("user"):
            actions.staff_role_revoke(staff_role=grant, revoked_by=request.user)


@admin.register(ApiClient)
class ApiClientAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Tokens are created with `manage.py create_api_client NAME` (shown once); here they are
    inspected and revoked (untick "active")."""

    list_display = ("name", "token_prefix", "is_active", "rate", "created_at", "last_used_at")
    list_filter = ("is_active",)
    search_fields = ("name", "token_prefix")
    fields = (
        "name",
        "token_prefix",
        "token_hash",
        "is_active",
        "rate",
        "created_at",
        "last_used_at",
    )
    readonly_fields = ("name", "token_prefix", "token_hash", "created_at", "last_used_at")

    def has_add_permission(self, request) -> bool:
        return False


def _lock_lifting_admin():
    """django-axes' own admin of sign-in locks, with each lock a system administrator lifts
    (deletes) in the trail. Attempts that expire or that a successful sign-in clears are not a
    person's act and have no entry."""
    from axes.admin import AccessAttemptAdmin
    from axes.models import AccessAttempt

    class LockLiftingAdmin(AccessAttemptAdmin):
        def delete_model(self, request, obj) -> None:
            with transaction.atomic():
                _lock_lifted(request, obj)
                super().delete_model(request, obj)

        def delete_queryset(self, request, queryset) -> None:
            with transaction.atomic():
                for attempt in queryset:
                    _lock_lifted(request, attempt)
                super().delete_queryset(request, queryset)

    if admin.site.is_registered(AccessAttempt):
        admin.site.unregister(AccessAttempt)
        admin.site.register(AccessAttempt, LockLiftingAdmin)


def _lock_lifted(request, attempt) -> None:
    audit_record(
        actor=request.user,
        action=AuditAction.LOCKOUT_LIFTED,
        request=request,
        object_label=str(attempt.username or ""),
        details={"username": attempt.username, "ip_address": attempt.ip_address},
    )


if apps.is_installed("axes"):
    _lock_lifting_admin()
