"""Office managers edit schedules, closures and holidays here; bookings are read-only records
(changes go through the actions, so the rules and notifications apply)."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.actions import audit_record
from accounts.admin_audit import AuditedAdminMixin
from accounts.admin_scoping import OfficeScopedAdminMixin
from accounts.models import AuditAction
from services.selectors import bundle_parts

from . import actions, selectors
from .models import (
    Booking,
    Closure,
    MakeUpWorkingDay,
    Schedule,
    SchedulePeriod,
    Slot,
    WaitingListEntry,
)


class ScheduleForm(forms.ModelForm):
    class Meta:
        model = Schedule
        fields = [
            "office", "name", "services", "bundles", "is_active", "slot_minutes", "capacity",
            "walkin_percent", "release_days_ahead", "release_time", "close_minutes_before",
            "valid_from", "valid_until",
        ]  # fmt: skip

    def clean(self):
        """A schedule takes services or bundles; a bundle's slots hold every part."""
        data = super().clean()
        services, bundles = data.get("services"), data.get("bundles")
        if not services and not bundles:
            raise forms.ValidationError(_("Choose the services or bundles this schedule takes."))
        minutes = data.get("slot_minutes")
        for bundle in bundles or ():
            needed = selectors.bundle_minutes(bundle_parts(bundle))
            if minutes and minutes < needed:
                self.add_error("slot_minutes", _(
                    "%(bundle)s takes about %(needed)s minutes at the counter: make the slots "
                    "at least that long."
                ) % {"bundle": bundle.name, "needed": needed})
        return data


class SchedulePeriodInline(admin.TabularInline):
    model = SchedulePeriod
    extra = 0


@admin.register(Schedule)
class ScheduleAdmin(AuditedAdminMixin, OfficeScopedAdminMixin, admin.ModelAdmin):
    form = ScheduleForm
    list_display = (
        "name",
        "office",
        "slot_minutes",
        "capacity",
        "walkin_percent",
        "release_days_ahead",
        "release_time",
        "is_active",
    )
    list_filter = ("is_active", "office__district", "office")
    search_fields = ("name", "office__name_zh", "office__code", "services__name_zh")
    filter_horizontal = ("services", "bundles")
    inlines = [SchedulePeriodInline]
    list_select_related = ("office",)
    actions = ["generate_slots"]
    fieldsets = (
        (None, {"fields": ("office", "name", "services", "bundles", "is_active")}),
        (_("Slots"), {"fields": ("slot_minutes", "capacity", "walkin_percent")}),
        (
            _("Booking window"),
            {
                "fields": (
                    "release_days_ahead",
                    "release_time",
                    "close_minutes_before",
                    "valid_from",
                    "valid_until",
                )
            },
        ),
    )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        schedule = form.instance
        stats = actions.slot_generate_for_schedule(
            schedule=schedule, first=_today(), days=schedule.release_days_ahead + 1
        )
        self.message_user(
            request,
            _("Slots updated: %(created)s created, %(updated)s changed, %(deleted)s removed.")
            % stats,
        )

    @admin.action(description=_("Generate the slots of the booking window"))
    def generate_slots(self, request, queryset):
        total = 0
        for schedule in queryset:
            total += actions.slot_generate_for_schedule(
                schedule=schedule, first=_today(), days=schedule.release_days_ahead + 1
            )["created"]
        self.message_user(
            request, ngettext("%(n)s slot created.", "%(n)s slots created.", total) % {"n": total}
        )


def _today():
    from django.utils import timezone

    return timezone.localdate()


class ClosureForm(forms.ModelForm):
    class Meta:
        model = Closure
        fields = ["office", "service", "start_date", "end_date", "reason_zh", "reason_en"]


@admin.register(Closure)
class ClosureAdmin(AuditedAdminMixin, OfficeScopedAdminMixin, admin.ModelAdmin):
    form = ClosureForm
    rows_without_office_visible = True  # public holidays: seen by every manager, set bureau-wide
    list_display = ("start_date", "end_date", "office", "service", "reason_zh")
    list_filter = ("office__district", "office")
    search_fields = ("reason_zh", "reason_en", "office__name_zh")
    date_hierarchy = "start_date"

    def save_model(self, request, obj, form, change):
        # The action writes the entry (a deletion's is the mixin's).
        cancelled = actions.closure_save(closure=obj)
        if cancelled:
            self.message_user(
                request,
                ngettext(
                    "%(n)s booking was cancelled and its resident notified.",
                    "%(n)s bookings were cancelled and their residents notified.",
                    cancelled,
                )
                % {"n": cancelled},
                messages.WARNING,
            )


@admin.register(MakeUpWorkingDay)
class MakeUpWorkingDayAdmin(admin.ModelAdmin):
    """Bureau-wide, like public holidays: the Saturdays and Sundays worked in exchange for a
    holiday that the installed chinesecalendar does not list (a year it does not cover yet)."""

    list_display = ("date", "reason_zh")
    date_hierarchy = "date"


@admin.register(Slot)
class SlotAdmin(AuditedAdminMixin, OfficeScopedAdminMixin, admin.ModelAdmin):
    list_display = (
        "start",
        "end",
        "office",
        "schedule",
        "capacity",
        "bookable",
        "booked",
        "is_closed",
    )
    list_filter = ("is_closed", "office__district", "office")
    date_hierarchy = "start"
    list_select_related = ("office", "schedule")
    readonly_fields = ("schedule", "office", "start", "end", "booked")
    fields = ("schedule", "office", "start", "end", "capacity", "bookable", "booked", "is_closed")

    def has_add_permission(self, request):
        return False  # slots come from schedules


class PersonalDataAuditMixin:
    """Every look at residents' records leaves an entry in the audit trail: the list (with its
    filters) and each record, its history included. The entry carries the resident's ID-number
    digest (`id_number_hmac`), so auditors find it by ID number; nothing is decrypted here."""

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        if response.status_code == 200:
            details = {"page": "list", "query": request.GET.urlencode()}
            self._audit(request, self.model, details)
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        self._audit_record_page(request, response, "original", "record")
        return response

    def history_view(self, request, object_id, extra_context=None):
        response = super().history_view(request, object_id, extra_context)
        self._audit_record_page(request, response, "object", "history")
        return response

    def _audit_record_page(self, request, response, context_key: str, page: str) -> None:
        obj = (getattr(response, "context_data", None) or {}).get(context_key)
        if response.status_code == 200 and obj is not None:
            self._audit(request, obj, {"page": page})

    def _audit(self, request, obj, details: dict) -> None:
        audit_record(
            actor=request.user, action=AuditAction.VIEW, obj=obj, request=request, details=details
        )


@admin.register(Booking)
class BookingAdmin(
    AuditedAdminMixin, PersonalDataAuditMixin, OfficeScopedAdminMixin, admin.ModelAdmin
):
    """Read-only: the masked ID number only; the encrypted one never leaves the database here."""

    list_display = ("code", "start", "office", "service", "name", "id_masked", "status")
    list_filter = ("status", "office__district", "office", "service__category")
    search_fields = ("=code",)
    date_hierarchy = "start"
    list_select_related = ("office", "service")
    fields = (
        "code",
        "status",
        "start",
        "office",
        "service",
        "slot",
        "name",
        "id_masked",
        "phone",
        "email",
        "created_at",
        "cancelled_at",
        "cancelled_by",
        "cancel_reason",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WaitingListEntry)
class WaitingListEntryAdmin(
    AuditedAdminMixin, PersonalDataAuditMixin, OfficeScopedAdminMixin, admin.ModelAdmin
):
    list_display = ("date", "office", "service", "name", "id_masked", "status", "created_at")
    list_filter = ("status", "office")
    fields = (
        "date",
        "office",
        "service",
        "name",
        "id_masked",
        "phone",
        "status",
        "offered_slot",
        "offer_expires_at",
        "booking",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False
