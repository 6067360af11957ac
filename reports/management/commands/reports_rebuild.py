"""`python manage.py reports_rebuild --from 2026-01-01 --to 2026-01-31 [--office CODE ...]`:
recompute the statistics of a date range (what the beat tasks do for today and the last days)."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from reports.actions import figures_rebuild
from services.models import Office


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {value}") from None


class Command(BaseCommand):
    help = "Recompute the aggregated statistics of a date range."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--from", dest="first", required=True, help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="last", required=True, help="last day, YYYY-MM-DD")
        parser.add_argument("--office", action="append", help="office code (repeatable)")

    def handle(self, *args, first: str, last: str, office=None, **options) -> None:
        first_day, last_day = _day(first), _day(last)
        if last_day < first_day:
            raise CommandError("--to is before --from")
        office_ids = None
        if office:
            office_ids = list(Office.objects.filter(code__in=office).values_list("pk", flat=True))
            if len(office_ids) != len(set(office)):
                raise CommandError("unknown office code")
        rows = figures_rebuild(first=first_day, last=last_day, office_ids=office_ids)
        self.stdout.write(f"{rows} figure rows for {first_day}–{last_day}.")
