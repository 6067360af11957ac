"""The Celery tasks in flight and the dead letters (core/tasks.py, `TaskDelivery`) for the
operator: superusers and system administrators (permission `core.view_taskdelivery`).
Read-only: the task machinery writes the rows, a task's success removes its row and failed ones
are pruned after 30 days (beat); a failed task is run again from its own app, not from here.
The outbox entries (core/outbox.py) likewise, `core.view_outboxmessage`."""

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from .models import OutboxMessage, TaskDelivery


class ReadOnlyAdminMixin:
    """For rows the application alone writes: listed and opened, never added, changed or deleted
    from the admin. Put it first among a ModelAdmin's bases."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(TaskDelivery)
class TaskDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "name", "state", "deliveries", "retries", "error", "first_seen", "last_seen",
    )
    list_filter = ("state",)
    search_fields = ("name", "=task_id")
    ordering = ("-last_seen",)
    fields = readonly_fields = (
        "name", "task_id", "state", "deliveries", "retries", "error", "first_seen", "last_seen",
    )


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The transactional outbox (core/outbox.py), read-only: pending and running side effects,
    and failed ones with their last error (ID numbers masked). Arguments are ids; encrypted
    arguments are never shown. Done rows leave after a day, failed ones after 30 days."""

    list_display = (
        "task", "status", "attempts", "available_at", "locked_until", "last_error", "created_at",
    )
    list_filter = ("status", "task")
    search_fields = ("task", "=key")
    ordering = ("-created_at",)
    fields = readonly_fields = (
        "task", "key", "args", "status", "attempts", "available_at", "locked_until",
        "last_error", "created_at", "updated_at",
    )
