from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import ApiClient, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = BaseUserAdmin.fieldsets + ((_("Contact"), {"fields": ("phone",)}),)
    list_display = ("username", "email", "phone", "is_staff", "is_active")


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
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
