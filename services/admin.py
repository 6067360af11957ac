from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.admin_audit import AuditedAdminMixin
from accounts.admin_scoping import OfficeScopedAdminMixin

from .models import (
    Bundle,
    BundlePart,
    Category,
    Counter,
    District,
    Material,
    Office,
    OpeningHours,
    Service,
    ServiceAlias,
)


class MaterialInline(admin.TabularInline):
    model = Material
    extra = 0
    fields = (
        "position",
        "name_zh",
        "name_en",
        "note_zh",
        "note_en",
        "original_required",
        "copies",
        "is_optional",
    )


class ServiceAliasInline(admin.TabularInline):
    model = ServiceAlias
    extra = 1
    fields = ("position", "term")
    verbose_name_plural = _("Search terms residents use")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "name_en", "ticket_letter", "position")
    search_fields = ("code", "name_zh", "name_en")
    ordering = ("position",)


@admin.register(Service)
class ServiceAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = (
        "code",
        "name_zh",
        "name_en",
        "category",
        "channel",
        "fee",
        "time_limit_days",
        "counter_minutes",
        "is_active",
    )
    list_filter = ("category", "channel", "is_active")
    search_fields = (
        "code",
        "name_zh",
        "name_en",
        "description_zh",
        "description_en",
        "aliases__term",
    )
    list_editable = ("is_active",)
    inlines = [ServiceAliasInline, MaterialInline]
    fieldsets = (
        (None, {"fields": ("code", "category", "position", "is_active")}),
        (_("Names"), {"fields": ("name_zh", "name_en", "description_zh", "description_en")}),
        (
            _("How it is offered"),
            {"fields": ("channel", "fee", "time_limit_days", "counter_minutes")},
        ),
    )


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "name_en", "position")
    search_fields = ("code", "name_zh", "name_en")


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


class CounterInline(admin.TabularInline):
    model = Counter
    extra = 0
    fields = ("number", "name_zh", "name_en", "serves_all", "services", "is_active")
    filter_horizontal = ("services",)


@admin.register(Office)
class OfficeAdmin(AuditedAdminMixin, OfficeScopedAdminMixin, admin.ModelAdmin):
    office_field = "id"
    list_display = ("code", "name_zh", "kind", "district", "phone", "is_active")
    list_filter = ("kind", "district", "is_active", "services__category")
    search_fields = ("code", "name_zh", "name_en", "address_zh", "address_en", "phone")
    filter_horizontal = ("services",)
    inlines = [OpeningHoursInline, CounterInline]
    fieldsets = (
        (None, {"fields": ("code", "kind", "district", "is_active")}),
        (
            _("Names and address"),
            {
                "fields": (
                    "name_zh",
                    "name_en",
                    "address_zh",
                    "address_en",
                    "transit_zh",
                    "transit_en",
                    "phone",
                )
            },
        ),
        (_("Location"), {"fields": ("latitude", "longitude")}),
        (_("Services"), {"fields": ("services",)}),
    )


@admin.register(Counter)
class CounterAdmin(AuditedAdminMixin, OfficeScopedAdminMixin, admin.ModelAdmin):
    list_display = ("office", "number", "name_zh", "serves_all", "is_active")
    list_filter = ("serves_all", "is_active", "office__district")
    search_fields = ("office__name_zh", "office__code", "name_zh", "name_en")
    filter_horizontal = ("services",)
    list_select_related = ("office",)


class BundlePartInline(admin.TabularInline):
    model = BundlePart
    extra = 2
    fields = ("position", "service")
    autocomplete_fields = ("service",)


@admin.register(Bundle)
class BundleAdmin(admin.ModelAdmin):
    """一件事 bundles, defined without code: the services of one life event, in order."""

    list_display = ("code", "name_zh", "name_en", "is_active", "position")
    list_filter = ("is_active",)
    search_fields = ("code", "name_zh", "name_en")
    inlines = [BundlePartInline]
