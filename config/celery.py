"""The Celery app. The beat schedule is static and lives here, next to the app."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("onewindow")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The static beat schedule: every periodic job of OneWindow, in one place.
app.conf.beat_schedule = {
    # Slots for the booking window, generated ahead of the 08:00 release.
    "appointments-generate-slots": {
        "task": "appointments.tasks.slots_generate",
        "schedule": crontab(minute=30, hour="0,7"),
    },
    # Cancelled places come back after their embargo; expired waiting-list offers move on.
    "appointments-release-embargoed": {
        "task": "appointments.tasks.slots_release_embargoed",
        "schedule": 60.0,
    },
    # Bookings never checked in by the end of the day become no-shows.
    "queues-mark-no-shows": {
        "task": "queues.tasks.bookings_mark_no_shows",
        "schedule": crontab(minute=55, hour=23),
    },
    # Managers hear when a service's longest wait passes its target (at most every 30 minutes).
    "queues-service-levels": {
        "task": "queues.tasks.queue_service_level_check",
        "schedule": 60.0,
    },
    # Certificate PDFs whose task was lost (documents/): made and issued, exactly once.
    "documents-certificates-missing": {
        "task": "documents.tasks.certificates_generate_missing",
        "schedule": 600.0,
    },
    # Document requests near or past their time limit: one digest per office to its managers.
    "documents-escalate-requests": {
        "task": "documents.tasks.requests_escalate",
        "schedule": crontab(minute=30, hour=8),
    },
    "appointments-reminders": {
        "task": "appointments.tasks.bookings_send_reminders",
        "schedule": crontab(minute=0, hour="9-20"),
    },
}
