"""The project's Celery app with a schedule of seconds, for tests/test_beat_lock.py only: the
real scheduler and lock from the settings (celery-redbeat), periods short enough to count.
Nothing consumes these tasks: the test reads them off the queue."""

from config.celery import app

PERIODS = {"tests.beat_app.every_second": 1.0, "tests.beat_app.every_two_seconds": 2.0}
app.conf.beat_schedule = {
    name.rsplit(".", 1)[1]: {"task": name, "schedule": period} for name, period in PERIODS.items()
}
