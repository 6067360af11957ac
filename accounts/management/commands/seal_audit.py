"""python manage.py seal_audit: seal the committed audit entries now and export the heads.

What the beat task `accounts.tasks.audit_seal` does every few seconds, for a deployment without
beat or before running `verify_audit`.
"""

from django.core.management.base import BaseCommand

from accounts.actions import audit_seal


class Command(BaseCommand):
    help = "Seal the committed audit entries into signed batches and export their heads."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--wait",
            type=float,
            default=None,
            help="Seconds to wait for transactions still writing entries (default: settings).",
        )

    def handle(self, *args, wait: float | None = None, **options) -> None:
        sealed = audit_seal(wait=wait)
        self.stdout.write(f"sealed {sealed} entries")
