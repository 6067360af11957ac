"""`python manage.py generate_slots --days N`: materialise slots; safe to repeat."""

from django.core.management.base import BaseCommand

from appointments.actions import slot_generate


class Command(BaseCommand):
    help = "Create the slots of the next N days from the schedules (idempotent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--days", type=int, default=8, help="How many days ahead (default 8).")

    def handle(self, *args, days: int, **options) -> None:
        stats = slot_generate(days=days)
        self.stdout.write(
            f"Slots: {stats['created']} created, {stats['updated']} updated, "
            f"{stats['deleted']} removed."
        )
