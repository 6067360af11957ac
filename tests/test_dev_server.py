"""`make run`'s dev server runs the periodic jobs as production does (issue 17): with the
embedded defaults only (SQLite, eager tasks, console SMS), a cancelled place reaches the waiting
list and the person waiting gets the offer by SMS, with a link to this server, and no task run
by hand. The release job runs every 2 s here (BOOKING_RELEASE_EVERY_SECONDS; 60 s by default),
so the offer comes within seconds, not a minute."""

import os
import signal
import sqlite3
import subprocess
import sys
import urllib.request
from pathlib import Path

from django.conf import settings

from .processes import free_port, migrated_sqlite, wait_for

ROOT = Path(settings.BASE_DIR)
# Everything a developer's shell or CI may set that `make run` does not.
NOT_MAKE_RUN = (
    "DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "CACHE_URL", "DEBUG", "SITE_URL",
    "SMS_BACKEND", "EMAIL_BACKEND", "DJANGO_ALLOW_ASYNC_UNSAFE",
)  # fmt: skip
SETUP = """
from django.utils import timezone
from appointments import actions
from appointments.tests.factories import ScheduleFactory, SlotFactory
from core.tests.factories import id_number
from services.tests.factories import ServiceFactory

service = ServiceFactory()
slot = SlotFactory(schedule=ScheduleFactory(services=[service]), bookable=1)
first = actions.booking_create(slot_id=slot.pk, service=service, name="李四",
                               id_number=id_number(1), phone="13900139000")
actions.waiting_join(office=slot.office, service=service, name="王五", id_number=id_number(2),
                     phone="13700137000", day=timezone.localtime(slot.start).date())
actions.booking_cancel(booking=first)
print("set up")
"""


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own server
            return response.status == 200
    except OSError:
        return False


def test_a_cancelled_place_is_offered_to_the_waiting_list_by_the_dev_server_alone(tmp_path):
    database = tmp_path / "demo.sqlite3"
    env = {k: v for k, v in os.environ.items() if k not in NOT_MAKE_RUN and
           not k.startswith("CELERY_")}  # fmt: skip
    # The place comes back at once (no 30-minute embargo), so the first run of the release job
    # (config/celery.py; every 2 s here rather than a minute) offers it.
    env.update(DATABASE_URL=f"sqlite:///{database}", BOOKING_CANCEL_EMBARGO_MINUTES="0",
               BOOKING_RELEASE_EVERY_SECONDS="2", PYTHONUNBUFFERED="1")  # fmt: skip
    manage = [sys.executable, "manage.py"]
    migrated_sqlite(database)  # as `make run`'s migrate leaves it (a copy of the test template)
    port = free_port()
    env.update(HOST="127.0.0.1", PORT=str(port))  # as `make run` passes them
    log = tmp_path / "devserver.log"
    with open(log, "w") as output:
        server = subprocess.Popen(  # noqa: S603 - the project's own command
            [*manage, "devserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        wait_for(lambda: answers(f"http://127.0.0.1:{port}/healthz"), 60, "the dev server")
        setup = subprocess.run([*manage, "shell", "-c", SETUP], cwd=ROOT, env=env, timeout=120,
                               capture_output=True, text=True)  # fmt: skip
        assert "set up" in setup.stdout, setup.stderr

        def offered() -> bool:
            with sqlite3.connect(database, timeout=10) as db:
                rows = db.execute("SELECT status FROM appointments_waitinglistentry").fetchall()
            return rows == [("offered",)]

        wait_for(offered, 150, "the offer", interval=0.5)
        wait_for(lambda: "[SMS to 137****7000]" in log.read_text(), 30, "the offer's SMS")
        [offer] = [line for line in log.read_text().splitlines() if "137****7000" in line]
        assert f"http://127.0.0.1:{port}/zh-hans/book/offer/" in offer  # to this server
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    assert "Periodic jobs: " in log.read_text()
