"""The periodic jobs of the dev server (`make run`): Celery beat's own scheduler over the static
schedule of config/celery.py, in a thread of the serving process, with nothing to install or
start besides. The embedded defaults run every task eagerly, so each due job runs in that
thread, as a worker runs it in production (one Celery beat and the workers, docs/deploy.md).

In memory only: a restart starts the intervals afresh and skips a crontab time it slept
through, which is what a laptop wants; production's beat keeps its schedule."""

import logging
import threading
from typing import Any

from celery import Celery, beat
from django.db import close_old_connections

logger = logging.getLogger(__name__)


class DevScheduler(beat.Scheduler):
    """Celery's in-memory scheduler; each job on a fresh database connection, as a worker's."""

    def send_task(self, *args: Any, **kwargs: Any) -> None:
        raise LookupError(f"{args[0]!r} is not a task of this project: check config/celery.py")

    def apply_entry(self, entry: Any, producer: Any = None) -> None:
        close_old_connections()
        try:
            super().apply_entry(entry, producer=producer)
        finally:
            close_old_connections()


def dev_beat_start(app: Celery) -> threading.Thread:
    """Start the schedule in a daemon thread (it ends with the process); returns the thread."""
    # A worker imports every app's tasks.py at start; beat without them would only send the
    # task by name to the broker, where no eager call and no worker would ever run it.
    app.loader.import_default_modules()
    # Every 2 and 5 s a relay and a sealing run: their "sending"/"succeeded" lines would bury
    # the SMS and e-mails the terminal shows. Warnings and failed jobs still appear.
    for name in ("celery.beat", "celery.app.trace"):
        logging.getLogger(name).setLevel(logging.WARNING)
    service = beat.EmbeddedService(app, thread=True, scheduler_cls=DevScheduler)
    service.start()
    logger.info("beat: %s periodic jobs run in this process", len(app.conf.beat_schedule))
    return service
