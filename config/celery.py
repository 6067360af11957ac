"""The Celery app. The beat schedule is static and lives here, next to the app."""

import os

from celery import Celery
from celery.schedules import crontab  # noqa: F401  (used by later schedule entries)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("onewindow")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The static beat schedule: every periodic job of OneWindow, in one place.
app.conf.beat_schedule = {}
