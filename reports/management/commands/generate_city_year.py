"""`python manage.py generate_city_year [--offices 12] [--bookings 500000] [--seed 1]
[--end-date YYYY-MM-DD]`: a year of a city for the statistics benchmark (reports/generate.py)."""

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError

from reports.generate import city_year_generate


class Command(BaseCommand):
    help = "Generate a year of bookings and tickets for a city (benchmark data), then aggregate."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--offices", type=int, default=12)
        parser.add_argument("--bookings", type=int, default=500_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--end-date", type=dt.date.fromisoformat, default=None)

    def handle(self, *args, offices, bookings, seed, end_date, **options) -> None:
        started = time.monotonic()
        try:
            result = city_year_generate(
                offices=offices, bookings=bookings, seed=seed, end_date=end_date,
                say=self.stdout.write,
            )  # fmt: skip
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"{result['slots']} slots, {result['bookings']} bookings, {result['tickets']} "
            f"tickets {result['first']}–{result['last']}; {result['figure_rows']} figure rows; "
            f"{time.monotonic() - started:.0f} s"
        )
