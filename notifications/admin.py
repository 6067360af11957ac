from django.contrib import admin

from core.admin import ReadOnlyAdminMixin

from .models import Message


@admin.register(Message)
class MessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The outbox, read-only: what was sent to whom (masked), when, and whether it arrived."""

    list_display = (
        "created_at",
        "channel",
        "kind",
        "ref",
        "recipient_masked",
        "status",
        "attempts",
    )
    list_filter = ("channel", "status", "kind")
    search_fields = ("ref",)
    date_hierarchy = "created_at"
    fields = (
        "channel",
        "kind",
        "ref",
        "recipient_masked",
        "subject",
        "body",
        "status",
        "attempts",
        "error",
        "created_at",
        "sent_at",
    )
    readonly_fields = fields
