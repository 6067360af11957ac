"""`python manage.py devserver [addrport]`: the dev server of `make run` — runserver, plus the
periodic jobs of config/celery.py run in the same process (core/dev_beat.py), so that waiting-
list offers, reminders, no-shows, rating invitations and escalations happen in the demo as in
production. Development only: production runs gunicorn, workers and one beat (docs/deploy.md)."""

from typing import Any

from django.conf import settings
from django.contrib.staticfiles.management.commands.runserver import Command as RunserverCommand
from django.core.management.base import CommandError, CommandParser


class Command(RunserverCommand):
    help = "runserver with the periodic jobs of config/celery.py running in the same process."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--no-beat", action="store_true", help="Serve only; run no periodic job."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "devserver is for development (DEBUG=1). Production runs celery beat and "
                "workers: see docs/deploy.md."
            )
        self.with_beat = not options["no_beat"]
        super().handle(*args, **options)

    def inner_run(self, *args: Any, **options: Any) -> None:
        # Runs once in the process that serves: the autoreloader's child (again after each
        # reload), never in the watching parent, so the jobs never run twice.
        if self.with_beat:
            from config.celery import app
            from core.dev_beat import dev_beat_start

            dev_beat_start(app)
            mode = "in this process" if app.conf.task_always_eager else "on the broker's workers"
            self.stdout.write(
                f"Periodic jobs: {len(app.conf.beat_schedule)} from config/celery.py, run {mode}."
            )
        super().inner_run(*args, **options)
