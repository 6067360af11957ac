"""The clerk's counter console: office scoping, the day's work, shortcuts, errors, transfers."""

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from accounts.tests.factories import staff
from appointments.constants import BookingStatus
from queues import actions
from queues.constants import TicketStatus
from queues.errors import CounterPaused, QueueEmpty
from queues.models import CounterState, Ticket, TicketEvent
from services.tests.factories import CategoryFactory, CounterFactory

from .queue_setup import DAY, at, booking, check_in, new_service, office_with, walk_in

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _ten_o_clock():
    with time_machine.travel(at(10, 0), tick=False):
        yield


@pytest.fixture
def hall():
    """Services A and B (ticket letters A, B); counter 1 serves both, counter 2 serves B."""
    service_a = new_service(category=CategoryFactory(ticket_letter="A"))
    service_b = new_service(category=CategoryFactory(ticket_letter="B"))
    office, (counter,) = office_with(service_a, service_b)
    other_counter = CounterFactory(office=office, services=[service_b])
    return office, service_a, service_b, counter, other_counter


@pytest.fixture
def clerk(hall):
    return staff("clerk", office=hall[0])


@pytest.fixture
def client(verified_client, clerk):
    return verified_client(clerk)


def act(client, counter, action, **data):
    url = reverse("console:action", args=[counter.pk, action])
    return client.post(url, data, **HX)


def tickets_in(html: str) -> list[str]:
    """The ticket numbers of the waiting table, in order."""
    table = html.split('class="queue-table"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<th scope="row" class="q-number">(\w+)</th>', table)


def test_the_picker_lists_only_the_clerks_own_counters(client, hall):
    _office, _a, _b, counter, other_counter = hall
    elsewhere = CounterFactory(name_zh="别处的窗口")
    page = client.get(reverse("console:pick")).content.decode()
    assert reverse("console:counter", args=[counter.pk]) in page
    assert reverse("console:counter", args=[other_counter.pk]) in page
    assert reverse("console:counter", args=[elsewhere.pk]) not in page


def test_opening_a_counter_is_a_post_and_is_remembered(client, clerk, hall):
    counter = hall[3]
    url = reverse("console:counter", args=[counter.pk])
    prompt = client.get(url).content.decode()
    assert 'id="btn-open"' in prompt and 'id="btn-call-next"' not in prompt
    assert not CounterState.objects.filter(counter=counter, is_open=True).exists()  # a GET

    opened = client.post(reverse("console:action", args=[counter.pk, "open"]))
    assert opened["Location"] == url
    state = CounterState.objects.get(counter=counter)
    assert (state.is_open, state.clerk) == (True, clerk)
    assert 'id="btn-call-next"' in client.get(url).content.decode()
    page = client.get(reverse("console:pick")).content.decode()
    assert "counter-pick-last" in page
    assert f'href="{url}"' in page.split("<h2")[0]


def test_a_counter_worked_by_a_colleague_is_taken_over_only_on_purpose(
    verified_client, client, clerk, hall
):
    office, service_a, _b, counter, _other = hall
    walk_in(office, service_a, at(9, 0))
    colleague = staff("clerk", office=office, first_name="", last_name="", username="wang")
    theirs = verified_client(colleague)
    act(theirs, counter, "open")
    url = reverse("console:counter", args=[counter.pk])

    pick = client.get(reverse("console:pick")).content.decode()
    assert f'href="{url}"' in pick  # a link to the question, not a button that opens it
    prompt = client.get(url).content.decode()
    assert "wang" in prompt and 'id="btn-open"' in prompt
    assert CounterState.objects.get(counter=counter).clerk == colleague  # the GET changed nothing

    act(client, counter, "open")
    assert CounterState.objects.get(counter=counter).clerk == clerk
    refused = act(theirs, counter, "call-next")  # the colleague's console, still on the page
    assert refused["HX-Redirect"] == url
    assert Ticket.objects.get().status == TicketStatus.WAITING
    told = theirs.get(url).content.decode()  # the page the refusal sends them to says why
    holder = clerk.get_full_name() or clerk.get_username()
    assert told.count(holder) >= 2  # the refusal's message and the take-over question


@pytest.mark.parametrize("action", ["call-next", "start", "finish", "recall", "no-show"])
def test_a_key_of_the_panel_at_a_counter_taken_over_does_nothing_and_says_who(
    verified_client, client, clerk, hall, action
):
    """The panel's keys read the counter in the statement that takes their lock: a
    colleague's console still showing the ticket is refused as when the counter was read
    first."""
    office, service_a, _b, counter, _other = hall
    colleague = staff("clerk", office=office, first_name="", last_name="", username="wang")
    theirs = verified_client(colleague)
    act(theirs, counter, "open")
    walk_in(office, service_a, at(9, 0))
    ticket = actions.ticket_call_next(counter=counter, clerk=colleague)
    act(client, counter, "open")  # taken over, the ticket still at the counter
    events = TicketEvent.objects.count()
    refused = act(theirs, counter, action, ticket=ticket.pk, outcome="done")
    url = reverse("console:counter", args=[counter.pk])
    assert (refused.status_code, refused["HX-Redirect"]) == (204, url)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.call_count) == (TicketStatus.CALLED, 1)
    assert TicketEvent.objects.count() == events
    told = theirs.get(url).content.decode()
    assert told.count(clerk.get_full_name() or clerk.get_username()) >= 2
    assert act(client, counter, action, ticket=ticket.pk, outcome="done").status_code == 200


@pytest.mark.parametrize("action", ["call-next", "start", "finish", "recall", "no-show"])
def test_a_key_of_the_panel_at_a_counter_out_of_reach_is_not_found(client, clerk, hall, action):
    """Another office's counter, an inactive counter, a counter of an inactive office: 404 and
    nothing changed, although the ticket is at that counter (the scope is in the statement that
    reads the counter with the lock)."""
    office, service_a, _b, counter, other = hall
    foreign_office, (foreign_counter,) = office_with(service_a)
    foreign = walk_in(foreign_office, service_a, at(9, 0))
    Ticket.objects.filter(pk=foreign.pk).update(
        status=TicketStatus.CALLED, counter=foreign_counter, call_count=1
    )
    mine = walk_in(office, service_a, at(9, 1))
    Ticket.objects.filter(pk=mine.pk).update(
        status=TicketStatus.CALLED, counter=other, call_count=1
    )
    other.is_active = False
    other.save()
    events = TicketEvent.objects.count()
    posted = {"outcome": "done"}
    assert act(client, foreign_counter, action, ticket=foreign.pk, **posted).status_code == 404
    assert act(client, other, action, ticket=mine.pk, **posted).status_code == 404
    other.is_active = True
    other.save()
    office.is_active = False
    office.save()
    assert act(client, other, action, ticket=mine.pk, **posted).status_code == 404
    for ticket in (foreign, mine):
        ticket.refresh_from_db()
        assert (ticket.status, ticket.call_count) == (TicketStatus.CALLED, 1)
    assert TicketEvent.objects.count() == events


def test_the_keys_of_the_panel_change_no_ticket_but_the_one_at_this_counter(client, hall):
    """Start, finish, call again and no-show post only the ticket's id (read once, under the
    action's lock): a ticket at the next counter, yesterday's ticket at this one and an id
    nobody has are not found, and nothing is changed or recorded."""
    office, service_a, _b, counter, other = hall
    act(client, counter, "open")
    elsewhere = walk_in(office, service_a, at(9, 0))
    yesterday = walk_in(office, service_a, at(9, 1))
    Ticket.objects.filter(pk=elsewhere.pk).update(
        status=TicketStatus.CALLED, counter=other, call_count=1
    )
    Ticket.objects.filter(pk=yesterday.pk).update(
        status=TicketStatus.CALLED, counter=counter, call_count=1,
        day=yesterday.day - dt.timedelta(days=1),
    )  # fmt: skip
    events = TicketEvent.objects.count()
    for ticket in (elsewhere.pk, yesterday.pk, 2**62, 2**64):
        for action in ("start", "recall", "no-show"):
            assert act(client, counter, action, ticket=ticket).status_code == 404
        assert act(client, counter, "finish", ticket=ticket, outcome="done").status_code == 404
    assert act(client, counter, "start", ticket="A001").status_code == 404
    for ticket in (elsewhere, yesterday):
        ticket.refresh_from_db()
        assert (ticket.status, ticket.call_count) == (TicketStatus.CALLED, 1)
    assert TicketEvent.objects.count() == events
    Ticket.objects.filter(pk=yesterday.pk).update(status=TicketStatus.DONE)
    Ticket.objects.filter(pk=elsewhere.pk).update(counter=counter)  # now it is at this counter
    assert act(client, counter, "start", ticket=elsewhere.pk).status_code == 200
    elsewhere.refresh_from_db()
    assert elsewhere.status == TicketStatus.SERVING


def test_counters_and_tickets_of_another_office_are_not_found(client, hall):
    office, service_a, _b, counter, _other = hall
    other_office, (foreign_counter,) = office_with(service_a)
    foreign = walk_in(other_office, service_a, at(9, 0))
    mine = walk_in(office, service_a, at(9, 0))
    assert client.get(reverse("console:counter", args=[foreign_counter.pk])).status_code == 404
    assert act(client, foreign_counter, "call-next").status_code == 404
    for action in ("call", "park", "priority", "unpark"):
        assert act(client, counter, action, ticket=foreign.pk).status_code == 404
    assert act(client, counter, "finish", ticket=foreign.pk, outcome="done").status_code == 404
    foreign.refresh_from_db()
    assert (foreign.status, foreign.priority) == (TicketStatus.WAITING, False)
    assert act(client, counter, "call", ticket=mine.pk).status_code == 200


def test_a_clerk_without_a_role_at_the_office_gets_nothing(verified_client, hall):
    stranger = verified_client(staff("clerk", office=office_with(hall[1])[0]))
    assert stranger.get(reverse("console:counter", args=[hall[3].pk])).status_code == 404
    reviewer = verified_client(staff("reviewer", office=hall[0]))
    assert reviewer.get(reverse("console:pick")).status_code == 403


def test_call_next_then_finish_then_next(client, hall):
    office, service_a, _b, counter, _other = hall
    first = walk_in(office, service_a, at(9, 0))
    second = walk_in(office, service_a, at(9, 5))
    response = act(client, counter, "call-next")
    assert response.status_code == 200
    first.refresh_from_db()
    assert (first.status, first.counter) == (TicketStatus.CALLED, counter)
    assert 'class="ticket-number">A001<' in response.content.decode()

    response = act(client, counter, "finish", ticket=first.pk, outcome="done")
    first.refresh_from_db()
    assert (first.status, first.outcome) == (TicketStatus.DONE, "done")
    assert 'class="ticket-number"' not in response.content.decode()

    act(client, counter, "call-next")
    second.refresh_from_db()
    assert second.status == TicketStatus.CALLED


def test_a_ticket_left_at_the_counter_yesterday_does_not_block_it_the_next_morning(client, hall):
    """Yesterday's last resident was called and never finished (the day-end job did not run):
    this morning the console shows no one at the counter and calls today's first ticket."""
    office, service_a, service_b, counter, _other = hall
    yesterday = DAY - dt.timedelta(days=1)
    walk_in(office, service_b, at(16, 0, day=yesterday))
    actions.ticket_call_next(counter=counter, clerk=None, now=at(16, 5, day=yesterday))
    first = walk_in(office, service_a, at(9, 0))

    act(client, counter, "open")
    page = client.get(reverse("console:counter", args=[counter.pk])).content.decode()
    assert 'class="ticket-number">B001<' not in page
    response = act(client, counter, "call-next")
    assert response.status_code == 200
    first.refresh_from_db()
    assert (first.status, first.counter) == (TicketStatus.CALLED, counter)
    assert 'class="ticket-number">A001<' in response.content.decode()


def test_every_shortcut_is_on_its_button(client, hall):
    office, service_a, _b, counter, _other = hall
    walk_in(office, service_a, at(9, 0))
    act(client, counter, "open")
    page = act(client, counter, "call-next").content.decode()
    for key in "nrsfaxmpt/":
        assert f'data-shortcut="{key}"' in page, key
    assert re.search(r'data-shortcut="f"[^>]*>[^<]*<kbd>F</kbd>', page)
    full = client.get(reverse("console:counter", args=[counter.pk])).content.decode()
    assert "js/console.js" in full
    # The board listens to its counter's stream and polls every 2 s only without it.
    assert f'sse-connect="/push/counter/{counter.pk}/" data-poll="2000"' in full
    assert 'hx-trigger="sse:here, ow:poll"' in full


def test_calling_an_empty_queue_shows_the_message_in_the_clerks_language(client, hall):
    counter = hall[3]
    response = act(client, counter, "call-next")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'role="alert"' in page
    with translation.override("zh-hans"):
        assert str(QueueEmpty()) in page
    with translation.override("en"):
        url = reverse("console:action", args=[counter.pk, "call-next"])
    english = client.post(url, **HX).content.decode()
    assert "Nobody is waiting for this counter." in english


def test_pausing_blocks_calls_until_resumed(client, hall):
    office, service_a, _b, counter, _other = hall
    ticket = walk_in(office, service_a, at(9, 0))
    act(client, counter, "pause", paused="1")
    page = act(client, counter, "call-next").content.decode()
    with translation.override("zh-hans"):
        assert str(CounterPaused()) in page
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING
    assert act(client, counter, "call", ticket=ticket.pk).status_code == 200
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING
    act(client, counter, "pause", paused="0")
    act(client, counter, "call-next")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CALLED


def test_a_transferred_ticket_keeps_its_place_in_the_other_counters_queue(client, hall):
    office, service_a, service_b, counter, other_counter = hall
    moved = walk_in(office, service_a, at(9, 0))
    walk_in(office, service_b, at(8, 50))
    walk_in(office, service_b, at(9, 30))
    act(client, counter, "call", ticket=moved.pk)
    act(client, counter, "transfer", ticket=moved.pk, to=f"service:{service_b.pk}")
    moved.refresh_from_db()
    assert (moved.status, moved.service) == (TicketStatus.WAITING, service_b)
    url = reverse("console:counter", args=[other_counter.pk])
    queue = client.get(url, {"part": "queue"}, **HX).content.decode()
    assert tickets_in(queue) == ["B001", "A001", "B002"]


def test_a_ticket_sent_to_another_counter_waits_there_only(client, hall):
    office, _a, service_b, counter, other_counter = hall
    sent = walk_in(office, service_b, at(9, 0))
    later = walk_in(office, service_b, at(9, 10))
    act(client, counter, "call", ticket=sent.pk)
    act(client, counter, "transfer", ticket=sent.pk, to=f"counter:{other_counter.pk}")
    here = client.get(reverse("console:counter", args=[counter.pk]), {"part": "queue"}, **HX)
    there = client.get(reverse("console:counter", args=[other_counter.pk]), {"part": "queue"}, **HX)
    assert tickets_in(here.content.decode()) == [later.display]
    assert tickets_in(there.content.decode()) == [sent.display, later.display]


def test_finishing_a_booked_ticket_completes_its_booking(client, hall):
    office, service_a, _b, counter, _other = hall
    ticket = check_in(office, service_a, at(10, 0), at(9, 50))
    act(client, counter, "call-next")
    act(client, counter, "start", ticket=ticket.pk)
    act(client, counter, "finish", ticket=ticket.pk, outcome="another_visit")
    ticket.refresh_from_db()
    ticket.booking.refresh_from_db()
    assert (ticket.status, ticket.outcome) == (TicketStatus.DONE, "another_visit")
    assert ticket.booking.status == BookingStatus.COMPLETED


def test_the_clerk_checks_a_booking_in_and_issues_a_walk_in(client, hall):
    office, service_a, service_b, counter, _other = hall
    made = booking(office, service_a, at(10, 15))
    page = act(client, counter, "check-in", code=made.code.lower()).content.decode()
    ticket = Ticket.objects.get(booking=made)
    assert ticket.display in page and 'role="status"' in page
    act(client, counter, "walk-in", service=service_b.pk)
    assert Ticket.objects.filter(office=office, service=service_b).count() == 1
    page = act(client, counter, "check-in", code="NOSUCH99").content.decode()
    assert 'role="alert"' in page and 'value="NOSUCH99"' in page


def test_three_unanswered_calls_make_a_ticket_missed_and_it_can_come_back(client, hall):
    office, service_a, _b, counter, _other = hall
    ticket = walk_in(office, service_a, at(9, 0))
    act(client, counter, "call-next")
    for _ in range(3):
        act(client, counter, "recall", ticket=ticket.pk)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.MISSED
    page = client.get(reverse("console:counter", args=[counter.pk]), {"part": "queue"}, **HX)
    assert f'id="unpark-{ticket.pk}"' in page.content.decode()
    act(client, counter, "unpark", ticket=ticket.pk)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING


def test_parking_and_priority_from_the_waiting_list(client, hall):
    office, service_a, _b, counter, _other = hall
    first = walk_in(office, service_a, at(9, 0))
    second = walk_in(office, service_a, at(9, 5))
    act(client, counter, "priority", ticket=second.pk)
    act(client, counter, "park", ticket=first.pk)
    page = client.get(reverse("console:counter", args=[counter.pk]), {"part": "queue"}, **HX)
    assert tickets_in(page.content.decode()) == [second.display]
    act(client, counter, "call-next")
    second.refresh_from_db()
    assert second.status == TicketStatus.CALLED


def test_closing_the_counter_goes_back_to_the_picker(client, hall):
    counter = hall[3]
    act(client, counter, "open")
    response = act(client, counter, "close")
    assert response["HX-Redirect"] == reverse("console:pick")
    assert not CounterState.objects.get(counter=counter).is_open


def test_without_javascript_a_post_comes_back_to_the_console(client, hall):
    counter = hall[3]
    url = reverse("console:action", args=[counter.pk, "call-next"])
    response = client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("console:counter", args=[counter.pk])
    with translation.override("zh-hans"):
        assert str(QueueEmpty()) in response.content.decode()


def test_actions_need_a_post_with_a_csrf_token(verified_client, clerk, hall):
    from django.test import Client

    from accounts.tests.factories import verify_session

    strict = verify_session(Client(enforce_csrf_checks=True), clerk)
    assert act(strict, hall[3], "call-next").status_code == 403
    assert (
        verified_client(clerk)
        .get(reverse("console:action", args=[hall[3].pk, "call-next"]))
        .status_code
        == 405
    )


def test_the_manager_sees_the_live_view_of_their_office_only(verified_client, hall):
    office, service_a, _b, counter, _other = hall
    walk_in(office, service_a, at(9, 30))
    actions.counter_open(counter=counter, clerk=None)
    manager = verified_client(staff("manager", office=office))
    page = manager.get(reverse("console:office_live", args=[office.pk])).content.decode()
    assert service_a.name in page and "wait-green" in page
    assert f'sse-connect="/push/office/{office.pk}/" data-poll="5000"' in page
    elsewhere = office_with(service_a)[0]
    assert manager.get(reverse("console:office_live", args=[elsewhere.pk])).status_code == 404
    clerk = verified_client(staff("clerk", office=office))
    assert clerk.get(reverse("console:office_live", args=[office.pk])).status_code == 404


def test_the_clerk_confirms_or_withdraws_a_priority_claimed_at_the_kiosk(client, hall):
    office, service_a, _b, counter, _other = hall
    walk_in(office, service_a, at(9, 0))
    claimed = walk_in(office, service_a, at(9, 30), claims_priority=True)
    also = walk_in(office, service_a, at(9, 40), claims_priority=True)
    page = act(client, counter, "call-next").content.decode()
    assert claimed.display in page and 'id="btn-priority-confirm"' in page
    act(client, counter, "priority-check", ticket=claimed.pk, confirm="1")
    claimed.refresh_from_db()
    assert (claimed.priority, claimed.priority_reason) == (True, "confirmed")
    act(client, counter, "finish", ticket=claimed.pk, outcome="done")
    act(client, counter, "call-next")
    act(client, counter, "priority-check", ticket=also.pk, confirm="0")
    also.refresh_from_db()
    assert (also.priority, also.priority_reason) == (False, "withdrawn")


def test_a_ticket_panel_button_is_answered_with_only_what_changed(client, hall):
    """Call next from the panel (hx-target #current): the new panel, the message, the waiting
    count and the transfer form out of band, and the called ticket's row removed; not the
    queue list, the desk or the header."""
    office, service_a, _b, counter, _other = hall
    first = walk_in(office, service_a, at(9, 0))
    walk_in(office, service_a, at(9, 5))
    url = reverse("console:action", args=[counter.pk, "call-next"])
    answer = client.post(url, HTTP_HX_TARGET="current", **HX).content.decode()
    assert answer.lstrip().startswith('<section id="current"')
    assert 'class="ticket-number">A001<' in answer
    message = re.search(r'id="console-message" hx-swap-oob="true">(.*?)</div>', answer, re.S)
    assert message and 'role="status"' in message.group(1) and "A001" in message.group(1)
    assert re.search(r'id="queue-count" hx-swap-oob="true">1<', answer)
    assert f'<tr id="q-{first.pk}" hx-swap-oob="delete">' in answer
    assert f'id="transfer-ticket" value="{first.pk}" hx-swap-oob="true"' in answer
    for elsewhere in ('class="queue-table"', 'id="checkin-code"', 'id="btn-pause"', 'id="board"'):
        assert elsewhere not in answer
    finish = reverse("console:action", args=[counter.pk, "finish"])
    done = client.post(
        finish, {"ticket": first.pk, "outcome": "done"}, HTTP_HX_TARGET="current", **HX
    ).content.decode()
    assert 'class="ticket-number"' not in done
    assert 'id="transfer-ticket" value="" hx-swap-oob="true"' in done
    assert re.search(r'id="btn-close"[^>]*hx-swap-oob="true"', done)
    assert "disabled" not in re.search(r'<button[^>]*id="btn-close"[^>]*>', done).group(0)


def test_a_console_key_costs_a_handful_of_statements(client, hall):
    """Call next, start and finish from the panel, once the session's standing is cached: the
    session and the user, the counter with its state, the ticket, the change and its event,
    the outbox row for the near-front SMS, the count (call next only). Neither the roles nor
    the OTP device nor Django's permission tables are read again; start and finish do not
    count the queue (it did not change)."""
    office, service_a, _b, counter, _other = hall
    for minute in range(3):
        walk_in(office, service_a, at(9, minute))
    client.get(reverse("console:counter", args=[counter.pk]))  # the standing is read here
    panel = {"HTTP_HX_TARGET": "current", **HX}
    url = lambda action: reverse("console:action", args=[counter.pk, action])  # noqa: E731
    with CaptureQueriesContext(connection) as called:
        answer = client.post(url("call-next"), **panel).content.decode()
    ticket = re.search(r'name="ticket" value="(\d+)"', answer).group(1)
    with CaptureQueriesContext(connection) as started:
        assert client.post(url("start"), {"ticket": ticket}, **panel).status_code == 200
    with CaptureQueriesContext(connection) as finished:
        done = client.post(url("finish"), {"ticket": ticket, "outcome": "done"}, **panel)
    assert done.status_code == 200 and 'id="queue-count"' not in done.content.decode()
    # 21, 17 and 17 before; then 12, 7 and 7 plus each action's audit entry, and on this first
    # call the counter's state row is created (SQLite: one more statement). Since: call next asks
    # whether the counter is busy in the statement that finds the next ticket (one fewer), and
    # on PostgreSQL the ticket's UPDATE (and call next's outbox row) go with the event (one
    # fewer for start and finish, two more for call next); and each reads the counter in the
    # statement that takes its lock (one fewer each; call next's counter here has no state row
    # yet, which takes one more read on this first call).
    for queries, most in ((called, 13), (started, 7), (finished, 7)):
        statements = [q["sql"] for q in queries.captured_queries]
        writes_and_reads = [s for s in statements if not s.startswith(("SAVEPOINT", "RELEASE"))]
        assert len(writes_and_reads) <= most, "\n".join(statements)
        for table in ("accounts_staffrole", "otp_totp_totpdevice", "auth_permission"):
            assert table not in " ".join(statements)
        if connection.vendor == "postgresql":  # the change, its event and entry: one statement
            audited = [s for s in statements if 'INSERT INTO "accounts_auditentry"' in s]
            assert len(audited) == 1 and 'INSERT INTO "queues_ticketevent"' in audited[0]
            assert 'UPDATE "queues_ticket"' in audited[0]
            assert not [s for s in statements if s.startswith('UPDATE "queues_ticket"')]
    if connection.vendor == "postgresql":  # and call next's outbox row for the near-front SMS
        # Call next reads the next ticket in the statement that finds and locks it.
        reads = [q["sql"] for q in called.captured_queries]
        assert len([s for s in reads if not s.startswith(("SAVEPOINT", "RELEASE"))]) <= 11
        assert not [s for s in reads if s.startswith("SELECT t.") and "queues_ticket t" in s]
        (call,) = [s for s in called.captured_queries if "queues_ticketevent" in s["sql"]]
        assert 'INSERT INTO "core_outboxmessage"' in call["sql"]


def test_call_next_answers_with_the_count_of_those_still_waiting(client, hall):
    """Call next's answer counts the tickets still waiting for the counter: the same number as
    a count read afresh after the call (tickets sent to another counter, or of a service the
    counter does not serve, not counted; one sent to this counter counted), every time until
    the queue is empty. On PostgreSQL it is read in the statement that finds the ticket (no
    COUNT of its own); start does not count at all."""
    from queues import selectors

    office, service_a, service_b, counter, other = hall
    for minute in range(3):
        walk_in(office, service_a, at(9, minute))
    elsewhere = walk_in(office, service_b, at(9, 4))
    service_c = new_service(category=CategoryFactory(ticket_letter="C"))
    office.services.add(service_c)  # offered, but counter 1 does not serve it
    sent_here = walk_in(office, service_c, at(9, 5))
    Ticket.objects.filter(pk=elsewhere.pk).update(target_counter=other)
    Ticket.objects.filter(pk=sent_here.pk).update(target_counter=counter)
    walk_in(office, service_b, at(9, 6))
    act(client, counter, "open")
    panel = {"HTTP_HX_TARGET": "current", **HX}
    url = lambda action: reverse("console:action", args=[counter.pk, action])  # noqa: E731
    assert selectors.counter_waiting_count(counter) == 5
    for left in (4, 3, 2, 1, 0):
        with CaptureQueriesContext(connection) as called:
            answer = client.post(url("call-next"), **panel).content.decode()
        assert f'id="queue-count" hx-swap-oob="true">{left}<' in answer
        assert selectors.counter_waiting_count(counter) == left
        if connection.vendor == "postgresql":
            assert not [q for q in called.captured_queries if q["sql"].startswith("SELECT COUNT")]
        ticket = re.search(r'name="ticket" value="(\d+)"', answer).group(1)
        act(client, counter, "finish", ticket=ticket, outcome="done")
    assert Ticket.objects.get(pk=elsewhere.pk).status == TicketStatus.WAITING
    empty = client.post(url("call-next"), **panel).content.decode()
    assert 'id="queue-count" hx-swap-oob="true">0<' in empty


def test_a_refusal_from_the_panel_is_said_in_the_answer(client, hall):
    counter = hall[3]
    url = reverse("console:action", args=[counter.pk, "call-next"])
    answer = client.post(url, HTTP_HX_TARGET="current", **HX).content.decode()
    with translation.override("zh-hans"):
        assert str(QueueEmpty()) in answer
    assert 'role="alert"' in answer and 'id="queue-count" hx-swap-oob="true">0<' in answer


def test_the_waiting_count_is_the_whole_queue_beyond_the_listed_rows(client, hall):
    office, service_a, _b, counter, _other = hall
    for minute in range(42):
        walk_in(office, service_a, at(8, minute))
    url = reverse("console:counter", args=[counter.pk])
    queue = client.get(url, {"part": "queue"}, **HX).content.decode()
    assert len(tickets_in(queue)) == 40
    assert re.search(r'id="queue-count">42<', queue)


@pytest.mark.parametrize("part", ["answer", "current", "queue"])
def test_the_parts_rendered_without_context_processors_are_the_same(rf, client, clerk, hall, part):
    """The polls' and the panel keys' parts skip the context processors (PLAIN_PARTS): what
    they render with them is byte for byte the same, in both languages, with a ticket at the
    counter and people waiting."""
    from django.shortcuts import render

    from queues.views import console as views

    office, service_a, _b, counter, _other = hall
    act(client, counter, "open")
    for minute in range(3):
        walk_in(office, service_a, at(9, minute))
    actions.ticket_call_next(counter=counter, clerk=clerk)
    assert part in views.PLAIN_PARTS
    for language in ("en", "zh-hans"):
        with translation.override(language):
            request = rf.get("/")
            request.user = clerk
            context = views._context(counter, part, notice="Called A001.")
            plain = views._render_part(request, part, dict(context)).content.decode()
            token = re.search(r'"csrfmiddlewaretoken" value="(\w+)"', plain).group(1)
            with_processors = render(
                request, f"{views.TEMPLATE}#{part}", {**context, "csrf_token": token}
            )
            assert plain == with_processors.content.decode()
