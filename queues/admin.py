"""Queue administration, scoped to the staff member's offices: kiosks (with their one-time
set-up link), service levels, and a read-only view of tickets."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.admin_audit import AuditedAdminMixin
from accounts.admin_scoping import OfficeScopedAdminMixin
from core.admin import ReadOnlyAdminMixin

from . import actions
from .models import Kiosk, ServiceLevel, Ticket


def _setup_link(request, kiosk: Kiosk, token: str) -> str:
    url = request.build_absolute_uri(reverse("queues:kiosk_setup", args=[token]))
    return format_html(
        gettext(
            'Open this set-up link once on the device of kiosk “{name}”: <a href="{url}">{url}</a>'
            " — it is shown only now and works until a new link is made."
        ),
        name=kiosk.name,
        url=url,
    )


@admin.register(Kiosk)
class KioskAdmin(AuditedAdminMixin, OfficeScopedAdminMixin, admin.ModelAdmin):
    office_field = "office"
    list_display = ("name", "office", "is_active", "last_seen_at")
    list_filter = ("is_active",)
    search_fields = ("name",)
    fields = ("office", "name", "is_active", "created_at", "last_seen_at")
    readonly_fields = ("created_at", "last_seen_at")
    actions = ["new_setup_link"]

    def save_model(self, request, obj: Kiosk, form, change: bool) -> None:
        if change:  # audited by the mixin; a new kiosk by the action
            super().save_model(request, obj, form, change)
            return
        kiosk, token = actions.kiosk_create(
            office=obj.office, name=obj.name, is_active=obj.is_active
        )
        obj.pk = kiosk.pk
        obj._state.adding = False
        obj.refresh_from_db()
        self.message_user(request, _setup_link(request, obj, token), messages.WARNING)

    @admin.action(
        description=_("Make a new set-up link (the old one stops working)"), permissions=["change"]
    )
    def new_setup_link(self, request, queryset) -> None:
        for kiosk in queryset:
            token = actions.kiosk_reset_token(kiosk=kiosk)
            self.message_user(request, _setup_link(request, kiosk, token), messages.WARNING)


@admin.register(ServiceLevel)
class ServiceLevelAdmin(OfficeScopedAdminMixin, admin.ModelAdmin):
    office_field = "office"
    list_display = ("office", "service", "target_minutes")
    list_select_related = ("office", "service")
    fields = ("office", "service", "target_minutes")


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdminMixin, OfficeScopedAdminMixin, admin.ModelAdmin):
    """Read-only: tickets change only at the counter. No phone number, no follow link."""

    office_field = "office"
    list_display = ("display", "office", "service", "status", "arrived_at", "counter")
    list_filter = ("status", "day")
    list_select_related = ("office", "service", "counter")
    date_hierarchy = "day"
    fields = (
        "office",
        "service",
        "day",
        "display",
        "status",
        "outcome",
        "priority",
        "counter",
        "arrived_at",
        "called_at",
        "started_at",
        "finished_at",
        "booking_masked",
    )
    readonly_fields = fields

    @admin.display(description=_("number"))
    def display(self, obj: Ticket) -> str:
        return obj.display

    @admin.display(description=_("booking"))
    def booking_masked(self, obj: Ticket) -> str:
        return f"{obj.booking.code} · {obj.booking.id_masked}" if obj.booking_id else "—"
