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
    "appointments-reminders": {
        "task": "appointments.tasks.bookings_send_reminders",
        "schedule": crontab(minute=0, hour="9-20"),
    },
    # Residents of counter visits finished since the last run get their evaluation link.
    "feedback-invite-finished-tickets": {
        "task": "feedback.tasks.evaluations_invite_finished_tickets",
        "schedule": crontab(minute="*/5"),
    },
    # Follow-up cases and mailbox messages past their deadline go to the bureau's managers.
    "feedback-escalate-late": {
        "task": "feedback.tasks.feedback_escalate_late",
        "schedule": crontab(minute=30, hour=8),
    },
    # Personal data in evaluations and the mailbox is anonymised after the retention period.
    "feedback-retention": {
        "task": "feedback.tasks.feedback_retention",
        "schedule": crontab(minute=15, hour=3),
    },
}
