"""A 一件事 visit at the office: its booking checks in as ONE ticket, called only by a counter
that serves every part, and the clerk's console shows all the parts of that ticket."""

import pytest
import time_machine
from django.urls import reverse

from accounts.tests.factories import staff
from appointments.constants import BookingStatus
from appointments.models import Booking
from queues import actions, selectors
from queues.constants import TicketStatus
from queues.errors import QueueEmpty
from queues.models import Ticket
from services.models import Bundle, BundlePart
from services.tests.factories import CategoryFactory, CounterFactory, OfficeFactory

from .queue_setup import at, booking, new_service

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _ten_o_clock():
    with time_machine.travel(at(10, 0), tick=False):
        yield


@pytest.fixture
def hall():
    """Two parts of a bundle: counter 1 serves only the first, counter 2 serves both."""
    first = new_service(category=CategoryFactory(ticket_letter="H"), name_zh="迁入登记")
    second = new_service(category=CategoryFactory(ticket_letter="J"), name_zh="换领身份证")
    office = OfficeFactory(services=[first, second])
    bundle = Bundle.objects.create(code="move", name_zh="户口迁入一件事", name_en="Moving in")
    BundlePart.objects.create(bundle=bundle, service=first, position=0)
    BundlePart.objects.create(bundle=bundle, service=second, position=1)
    partial = CounterFactory(office=office, services=[first])
    whole = CounterFactory(office=office, services=[first, second])
    made = booking(office, first, at(10, 0))
    Booking.objects.filter(pk=made.pk).update(bundle=bundle)
    return office, bundle, made, partial, whole


def test_one_ticket_is_called_only_by_a_counter_serving_every_part(hall):
    office, bundle, made, partial, whole = hall
    clerk = staff("clerk", office=office)

    ticket = actions.ticket_check_in_booking(office=office, code=made.code, now=at(9, 50))

    assert Ticket.objects.count() == 1 and ticket.bundle == bundle
    assert selectors.counter_waiting_count(partial, now=at(10, 0)) == 0
    with pytest.raises(QueueEmpty):
        actions.ticket_call_next(counter=partial, clerk=clerk, now=at(10, 0))
    called = actions.ticket_call_next(counter=whole, clerk=clerk, now=at(10, 0))
    assert called.pk == ticket.pk
    actions.ticket_finish(ticket=called, clerk=clerk, now=at(10, 40))
    assert Booking.objects.get(pk=made.pk).status == BookingStatus.COMPLETED


def test_the_wait_counts_only_the_counters_serving_every_part(hall):
    office, _bundle, made, _partial, whole = hall

    ticket = actions.ticket_check_in_booking(office=office, code=made.code, now=at(9, 50))

    assert [c.pk for c in selectors.queue._counters_for(ticket)] == [whole.pk]


def test_the_console_shows_every_part_of_the_ticket(hall, verified_client):
    office, _bundle, made, _partial, whole = hall
    client = verified_client(staff("clerk", office=office))
    actions.ticket_check_in_booking(office=office, code=made.code, now=at(9, 50))
    client.post(reverse("console:action", args=[whole.pk, "open"]))

    queue = client.get(reverse("console:counter", args=[whole.pk])).content.decode()
    called = client.post(
        reverse("console:action", args=[whole.pk, "call-next"]), HTTP_HX_REQUEST="true"
    ).content.decode()

    assert "户口迁入一件事" in queue
    parts = called.split('id="ticket-parts"', 1)[1].split("</ol>", 1)[0]
    assert "迁入登记" in parts and "换领身份证" in parts
    assert Ticket.objects.get().status == TicketStatus.CALLED
