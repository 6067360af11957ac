"""The Celery app. The beat schedule is static and lives here, next to the app."""

import os

from celery import Celery
from celery.schedules import crontab
from celery.signals import beat_init, worker_init, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Every task counts its deliveries and stops a poison message (core/tasks.py).
app = Celery("onewindow", task_cls="core.tasks:ReliableTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _redbeat_settings(sender, **kwargs) -> None:
    """celery-redbeat (the beat lock, config/settings.py) looks its settings up by their bare
    names. Copied once the configuration is read, not at import: reading Django's settings here
    would import them while a settings module that imports config.settings is half loaded."""
    sender.conf.update(
        {
            name.removeprefix("CELERY_").lower(): value
            for name, value in sender.conf.items()
            if name.startswith("CELERY_REDBEAT_")
        }
    )
    _release_every(sender)


def _release_every(app: Celery) -> None:
    """The release job's period from the settings (BOOKING_RELEASE_EVERY_SECONDS), read as the
    configuration is, for the reason above."""
    from django.conf import settings

    entry = app.conf.beat_schedule.get("appointments-release-embargoed")
    if entry is not None:
        entry["schedule"] = float(settings.BOOKING["RELEASE_EVERY_SECONDS"])


@worker_init.connect
@beat_init.connect
def _refuse_to_start(**kwargs) -> None:
    """A worker or beat with DEBUG=0 does not start on an unsafe configuration (core/checks.py).
    SystemExit: Celery logs and swallows any Exception raised by a signal handler."""
    from django.core.exceptions import ImproperlyConfigured

    from core.checks import refuse_to_start

    if getattr(kwargs.get("sender"), "app", app) is not app:
        return  # another Celery app of this process (a test's probe): not ours to refuse

    try:
        refuse_to_start()
    except ImproperlyConfigured as exc:
        raise SystemExit(f"Refusing to start: {exc}") from exc


@worker_process_init.connect
def _settle_garbage_collector(**kwargs) -> None:
    """As a web worker does (core/process.py): the certificate PDFs are made here."""
    from core.process import settle_garbage_collector

    settle_garbage_collector()


# The static beat schedule: every periodic job of OneWindow, in one place.
app.conf.beat_schedule = {
    # The audit trail's new entries, hashed into a signed batch and exported (docs/deploy.md).
    # A run that waited for the broker longer than the period is dropped: the next one seals.
    "accounts-seal-audit": {
        "task": "accounts.tasks.audit_seal",
        "schedule": 5.0,
        "options": {"expires": 5},
    },
    # The transactional outbox (core/outbox.py): side effects written with their change go to
    # the workers; rows whose worker died go again once their lease expires.
    # A run that waited for a busy worker longer than the period is dropped: the next one relays.
    "core-outbox-relay": {
        "task": "core.tasks.outbox_relay",
        "schedule": 2.0,
        "options": {"expires": 2},
    },
    # Slots for the booking window, generated ahead of the 08:00 release.
    "appointments-generate-slots": {
        "task": "appointments.tasks.slots_generate",
        "schedule": crontab(minute=30, hour="0,7"),
    },
    # Cancelled places come back after their embargo; expired waiting-list offers move on.
    # Every BOOKING_RELEASE_EVERY_SECONDS (60 by default; _release_every above).
    "appointments-release-embargoed": {
        "task": "appointments.tasks.slots_release_embargoed",
        "schedule": 60.0,
    },
    # Bookings never checked in by the end of the day become no-shows.
    "queues-mark-no-shows": {
        "task": "queues.tasks.bookings_mark_no_shows",
        "schedule": crontab(minute=55, hour=23),
    },
    # Tickets of earlier days still open (a resident left called, the office closed before
    # someone's turn) close as not finished, before the night's statistics read them.
    "queues-close-unfinished-tickets": {
        "task": "queues.tasks.tickets_close_unfinished",
        "schedule": crontab(minute=5, hour=0),
    },
    # Managers hear when a service's longest wait passes its target (at most every 30 minutes).
    "queues-service-levels": {
        "task": "queues.tasks.queue_service_level_check",
        "schedule": 60.0,
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
    # Retention (settings.RETENTION), at night when the counters are closed: one task per app,
    # each anonymising or purging its own records in batches. Apps that hold personal data add
    # their `<app>.tasks.retention_apply` here.
    "appointments-retention": {
        "task": "appointments.tasks.retention_apply",
        "schedule": crontab(minute=10, hour=2),
    },
    "queues-retention": {
        "task": "queues.tasks.retention_apply",
        "schedule": crontab(minute=20, hour=2),
    },
    "notifications-retention": {
        "task": "notifications.tasks.retention_apply",
        "schedule": crontab(minute=30, hour=2),
    },
    # Closed document requests (and their certificates, materials, files) after DOCUMENT_DAYS.
    "documents-retention": {
        "task": "documents.tasks.retention_apply",
        "schedule": crontab(minute=50, hour=2),
    },
    # Last: the purges above leave their own audit entries first.
    "accounts-audit-retention": {
        "task": "accounts.tasks.retention_apply",
        "schedule": crontab(minute=0, hour=3),
    },
    # Dead letters: failed tasks older than 30 days leave core.TaskDelivery.
    "core-task-deliveries-prune": {
        "task": "core.tasks.task_deliveries_prune",
        "schedule": crontab(minute=40, hour=3),
    },
    # Done outbox rows after a day, failed ones after 30 days.
    "core-outbox-prune": {
        "task": "core.tasks.outbox_prune",
        "schedule": crontab(minute=45, hour=3),
    },
    # Uploaded files no row names (a rolled-back transaction, a crash), older than an hour.
    "core-private-orphans-sweep": {
        "task": "core.tasks.private_orphans_sweep",
        "schedule": crontab(minute=50, hour=3),
    },
    # Statistics: today's figures every 10 minutes; the last days again at night, then the
    # managers' daily PDF report of yesterday.
    "reports-figures-today": {
        "task": "reports.tasks.figures_rebuild_today",
        "schedule": crontab(minute="*/10"),
    },
    "reports-figures-recent": {
        "task": "reports.tasks.figures_rebuild_recent",
        "schedule": crontab(minute=15, hour=0),
    },
    "reports-daily-pdf": {
        "task": "reports.tasks.reports_send_daily",
        "schedule": crontab(minute=30, hour=6),
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
        "schedule": crontab(minute=40, hour=2),
    },
}
