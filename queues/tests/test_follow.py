"""The page a resident's phone opens from the ticket's QR: place in the queue, then the call."""

import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from accounts.tests.factories import staff
from queues import actions
from queues.tests.factories import service_with_letter
from queues.tests.queue_setup import at, office_with, walk_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_at_ten():
    with translation.override("en"), time_machine.travel(at(10), tick=False):
        yield


@pytest.fixture
def setup():
    service = service_with_letter("A", counter_minutes=12)
    office, counters = office_with(service)
    counter = counters[0]
    counter.number = 3
    counter.save()
    tickets = [walk_in(office, service, at(9, 40 + i)) for i in range(3)]
    return office, counter, tickets


def status_text(response) -> str:
    html = response.content.decode()
    section = re.search(r'<section id="ticket-status".*?</section>', html, re.S).group(0)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section)).strip()


def follow(client, ticket, **headers):
    return client.get(reverse("queues:ticket_follow", args=[ticket.follow_token]), **headers)


def test_the_phone_sees_its_place_and_wait_without_signing_in(client, setup):
    _office, _counter, tickets = setup
    response = follow(client, tickets[2])
    assert response.status_code == 200
    html = response.content.decode()
    assert "A003" in html
    # Two tickets ahead, 12 minutes each at the one counter: about 36 minutes.
    assert status_text(response).startswith("2 people before you about 36 minutes")
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-cache" in response["Cache-Control"]
    assert "You are next" in status_text(follow(client, tickets[0]))


def test_htmx_refreshes_only_the_status_part_by_push_or_poll(client, setup):
    _office, _counter, tickets = setup
    full = follow(client, tickets[2]).content.decode()
    # Its own stream (queues/streams.py); every 5 s without it (static/js/push.js).
    assert f'sse-connect="/push/ticket/{tickets[2].follow_token}/" data-poll="5000"' in full
    trigger = 'hx-trigger="sse:ticket, sse:queue delay:2s, ow:poll"'
    assert trigger in full
    part = follow(client, tickets[2], HTTP_HX_REQUEST="true").content.decode()
    assert part.lstrip().startswith('<section id="ticket-status"')
    assert "<html" not in part and trigger in part


def test_the_page_changes_after_a_call_and_stops_polling_when_done(client, setup):
    _office, counter, tickets = setup
    clerk = staff("clerk", office=counter.office)
    actions.counter_open(counter=counter, clerk=clerk)
    actions.ticket_call_next(counter=counter, clerk=clerk)

    first = follow(client, tickets[0], HTTP_HX_REQUEST="true")
    assert "Please go to window 3 now" in status_text(first)
    assert status_text(follow(client, tickets[2])).startswith("1 person before you")

    actions.ticket_finish(ticket=tickets[0], clerk=clerk)
    done = follow(client, tickets[0])
    assert "Finished" in status_text(done)
    assert "hx-trigger" not in done.content.decode()
    assert "sse-connect" not in done.content.decode()


def test_a_ticket_called_three_times_without_an_answer_is_missed(client, setup):
    _office, counter, tickets = setup
    clerk = staff("clerk", office=counter.office)
    actions.counter_open(counter=counter, clerk=clerk)
    called = actions.ticket_call_next(counter=counter, clerk=clerk)
    for _ in range(3):
        called = actions.ticket_recall(ticket=called, clerk=clerk)
    assert status_text(follow(client, tickets[0])) == (
        "You missed your call; please see a clerk This page updates itself."
    )


def test_an_unknown_token_is_not_found(client, setup):
    response = client.get(reverse("queues:ticket_follow", args=["x" * 32]))
    assert response.status_code == 404


def test_people_ahead_count_every_ticket_the_serving_counters_call_first(client):
    """The counter serves A and B: four B tickets that came first are ahead of an A ticket,
    and the estimate shares them among the counters that can serve it (open ones only)."""
    service_a = service_with_letter("A", counter_minutes=5)
    service_b = service_with_letter("B", counter_minutes=5)
    office, (counter, other) = office_with(service_a, service_b, counters=2)
    for n in range(4):
        walk_in(office, service_b, at(9, 30 + n))
    mine = walk_in(office, service_a, at(9, 40))
    assert status_text(follow(client, mine)).startswith("4 people before you about 25 minutes")
    actions.counter_open(counter=counter, clerk=None)
    actions.counter_open(counter=other, clerk=None)
    # Two counters open for it: 5 people's worth of 5 minutes shared by two, about 12 minutes.
    assert status_text(follow(client, mine)).startswith("4 people before you about 12 minutes")
    # A ticket only a third counter serves is not ahead of it.
    service_c = service_with_letter("C", counter_minutes=5)
    office.services.add(service_c)
    from services.tests.factories import CounterFactory

    CounterFactory(office=office, services=[service_c])
    walk_in(office, service_c, at(9, 0))
    assert status_text(follow(client, mine)).startswith("4 people before you")


def test_without_javascript_the_page_refreshes_itself_while_the_ticket_is_live(client, setup):
    _office, counter, tickets = setup
    refresh = re.compile(r'<noscript><meta http-equiv="refresh" content="\d+"></noscript>')
    head = follow(client, tickets[0]).content.decode().split("</head>", 1)[0]
    assert refresh.search(head)
    ticket = actions.ticket_call_next(counter=counter, clerk=None)
    actions.ticket_finish(ticket=ticket, clerk=None)
    assert not refresh.search(follow(client, tickets[0]).content.decode())
