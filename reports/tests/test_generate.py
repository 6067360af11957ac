"""generate_city_year: a (small) year of a city, with valid ID numbers, then aggregated."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from appointments.models import Booking
from core.crypto import decrypt_text
from core.idnumbers import validate_id_number
from queues.models import Ticket
from reports.selectors import figure_report

pytestmark = pytest.mark.django_db
END = dt.date(2026, 11, 30)


def test_a_small_year_is_generated_and_aggregated(seeded):
    call_command(
        "generate_city_year", "--offices", "1", "--bookings", "2000", "--seed", "3",
        "--end-date", END.isoformat(), stdout=io.StringIO(),
    )  # fmt: skip
    bookings = Booking.objects.filter(code__startswith="Y")
    total = bookings.count()
    assert 1700 <= total <= 2300
    no_shows = bookings.filter(status="no_show").count()
    cancelled = bookings.filter(status="cancelled").count()
    assert 0.10 <= no_shows / (total - cancelled) <= 0.18
    assert Ticket.objects.filter(booking__isnull=True).exists()  # walk-ins too
    for booking in bookings[:20]:
        validate_id_number(decrypt_text(booking.id_number_enc), today=END)
    first = END - dt.timedelta(days=364)
    report = figure_report(office_ids=None, first=first, last=END)
    assert report.total.bookings == total
    assert report.total.no_shows == no_shows
    assert report.total.check_ins == Ticket.objects.count()
    assert report.total.wait_median is not None
    with pytest.raises(CommandError):
        call_command("generate_city_year", "--offices", "1", "--bookings", "10")
