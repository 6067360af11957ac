"""The project's Celery app with a schedule of seconds, for tests/test_beat_lock.py only (run in
the beats' own processes; never import it into the test process, it replaces the schedule): the
real scheduler and lock from the settings (celery-redbeat), periods short enough to count, given
by the test as {task name: seconds} in ONEWINDOW_TEST_BEAT_PERIODS. Nothing consumes these
tasks: the test reads them off the queue."""

import json
import os

from config.celery import app

app.conf.beat_schedule = {
    name.rsplit(".", 1)[1]: {"task": name, "schedule": period}
    for name, period in json.loads(os.environ["ONEWINDOW_TEST_BEAT_PERIODS"]).items()
}
