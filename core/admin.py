"""The Celery tasks in flight and the dead letters (core/tasks.py, `TaskDelivery`) for the
operator: superusers and system administrators (permission `core.view_taskdelivery`).
Read-only: the task machinery writes the rows, a task's success removes its row and failed ones
are pruned after 30 days (beat); a failed task is run again from its own app, not from here."""

from django.contrib import admin

from .models import TaskDelivery


@admin.register(TaskDelivery)
class TaskDeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "name", "state", "deliveries", "retries", "error", "first_seen", "last_seen",
    )
    list_filter = ("state",)
    search_fields = ("name", "=task_id")
    ordering = ("-last_seen",)
    fields = readonly_fields = (
        "name", "task_id", "state", "deliveries", "retries", "error", "first_seen", "last_seen",
    )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
