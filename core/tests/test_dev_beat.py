"""The dev server's periodic jobs (core/dev_beat.py): Celery beat's scheduler in a thread runs
each due job of a schedule eagerly in that thread, over and over, with no broker or worker."""

import threading
import time

import pytest
from celery import Celery
from django.core.management import call_command
from django.core.management.base import CommandError

from core.dev_beat import dev_beat_start


def test_due_jobs_run_in_the_thread_on_their_schedule():
    app = Celery("dev-beat-probe", set_as_current=False)
    app.conf.update(task_always_eager=True, broker_url="memory://", beat_schedule={
        "probe": {"task": "probe", "schedule": 0.2},
    })  # fmt: skip
    runs: list[str] = []

    @app.task(name="probe")
    def probe():
        runs.append(threading.current_thread().name)

    service = dev_beat_start(app)
    try:
        deadline = time.monotonic() + 15
        while len(runs) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        service.stop()
    assert len(runs) >= 3
    assert set(runs) == {"Beat"}  # in the scheduler's thread, not a worker's


def test_the_dev_server_refuses_production_settings(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="development"):
        call_command("devserver", "--noreload", "127.0.0.1:0")


def test_the_release_job_runs_every_booking_release_every_seconds(settings):
    """config/celery.py reads BOOKING_RELEASE_EVERY_SECONDS (60 by default) as it configures."""
    from config.celery import _release_every, app

    assert app.conf.beat_schedule["appointments-release-embargoed"]["schedule"] == 60.0
    probe = Celery("release-probe", set_as_current=False)
    probe.conf.beat_schedule = {
        "appointments-release-embargoed": {"task": "x", "schedule": 60.0},
    }
    settings.BOOKING = {**settings.BOOKING, "RELEASE_EVERY_SECONDS": 2}
    _release_every(probe)
    assert probe.conf.beat_schedule["appointments-release-embargoed"]["schedule"] == 2.0
