"""`python manage.py devserver [addrport]`: the dev server of `make run` — runserver's checks and
autoreloader serving the ASGI application (config/asgi.py) with uvicorn, so that the pushed
updates of screens, boards and ticket pages work here too (core/push.py: pages and streams in
this one process, Channels' in-memory layer, no Redis), plus the periodic jobs of
config/celery.py run in the same process (core/dev_beat.py), so that waiting-list offers,
reminders, no-shows, rating invitations and escalations happen in the demo as in production.
Development only: production runs gunicorn, the push server, workers and one beat
(docs/deploy.md)."""

import os
import sys
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.management.commands.runserver import Command as RunserverCommand
from django.core.management.base import CommandError, CommandParser
from django.db import connections
from django.utils import autoreload


class Command(RunserverCommand):
    help = "runserver with the periodic jobs of config/celery.py running in the same process."

    # Set by runserver's handle() (not in django-stubs).
    addr: str
    port: str
    _raw_ipv6: bool

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
        self.serve_asgi(options)

    def serve_asgi(self, options: dict[str, Any]) -> None:
        """runserver's inner_run, with uvicorn and config/asgi.py instead of the WSGI server."""
        import uvicorn

        from core.push import serve_in_process

        autoreload.raise_last_exception()
        if not options["skip_checks"]:
            self.stdout.write("Performing system checks...\n\n")
            self.check(display_num_errors=True)
        self.check_migrations()
        for conn in connections.all(initialized_only=True):
            conn.close()
        serve_in_process()
        host = f"[{self.addr}]" if self._raw_ipv6 else self.addr
        self.stdout.write(
            f"Serving http://{host}:{self.port}/ (ASGI, uvicorn; pushed updates in this "
            "process). Quit with CONTROL-C."
        )
        config = uvicorn.Config(
            "config.asgi:application",
            host=self.addr,
            port=int(self.port),
            lifespan="off",
            timeout_graceful_shutdown=1,  # open screens' streams must not hold a restart
            log_level="info",
        )
        try:
            uvicorn.Server(config).run()
        except KeyboardInterrupt:
            sys.exit(0)
        except OSError as exc:
            self.stderr.write(f"Error: {exc}")
            os._exit(1)
