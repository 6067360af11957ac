"""`python manage.py outbox_status`: the transactional outbox at a glance (core/outbox.py) —
rows by status, how many are due now, the age of the oldest unfinished one, and the latest
failed rows with their error. Exits with status 1 when a row has failed or the oldest
unfinished row is older than OUTBOX_WARN_AGE_SECONDS, so a cron job or a monitor can alert."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.models import OutboxMessage
from core.outbox import outbox_summary


class Command(BaseCommand):
    help = "Show pending, running, failed and done outbox rows and the oldest unfinished age."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--failed", type=int, default=10, help="How many failed rows to list.")

    def handle(self, *args: Any, failed: int = 10, **options: Any) -> None:
        summary = outbox_summary()
        age = summary["oldest_age"]
        self.stdout.write(
            f"pending {summary['pending']}  running {summary['running']}  "
            f"due {summary['due']}  failed {summary['failed']}  done {summary['done']}"
        )
        self.stdout.write(f"oldest unfinished: {'-' if age is None else f'{age} s'}")
        rows = OutboxMessage.objects.filter(status=OutboxMessage.Status.FAILED).order_by(
            "-updated_at"
        )[:failed]
        for row in rows:
            self.stdout.write(f"failed #{row.pk} {row.task} after {row.attempts}: {row.last_error}")
        late = age is not None and age > settings.OUTBOX_WARN_AGE_SECONDS
        if summary["failed"] or late:
            raise CommandError("the outbox needs attention", returncode=1)
