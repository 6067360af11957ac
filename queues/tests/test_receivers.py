"""A resident's data export lists their queue tickets (of their bookings, and walk-ins taken with
their verified mobile number); deleting the account drops the number from those tickets, after
feedback has found the ratings of those visits by it."""

import pytest
from django.test import Client

from accounts.tests.factories import resident_data_export
from documents.tests.factories import resident
from feedback import actions as feedback_actions
from feedback.models import Invitation
from feedback.tests.factories import invite
from queues import actions
from queues.tests.queue_setup import at, booking, new_service, office_with, walk_in

pytestmark = pytest.mark.django_db
PHONE = "13800138000"  # the resident's verified mobile number
STRANGER = "13900139000"
PASSWORD = "resident-pass-1"  # documents.tests.factories.resident


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def booked_visit(office, service, user, *, n: int, hour: int = 9):
    made = booking(office, service, at(hour), n=n)
    made.user = user
    made.phone = PHONE
    made.save(update_fields=["user", "phone"])
    return actions.ticket_check_in_booking(office=office, code=made.code, now=at(hour - 1, 50))


def tickets_of_three_kinds():
    """The resident's booked visit and walk-in, and a stranger's walk-in, at one office."""
    service = new_service()
    office, (counter,) = office_with(service)
    user = resident(PHONE)
    booked = booked_visit(office, service, user, n=5)
    walked_in = walk_in(office, service, at(10, 0), phone=PHONE)
    strangers = walk_in(office, service, at(10, 5), phone=STRANGER)
    return office, service, counter, user, booked, walked_in, strangers


def test_the_export_lists_the_residents_tickets_booked_and_walked_in():
    office, service, counter, user, booked, walked_in, strangers = tickets_of_three_kinds()

    tickets = {t["ticket"]: t for t in resident_data_export(user)["queue_tickets"]}

    assert set(tickets) == {booked.display, walked_in.display}
    assert strangers.display not in tickets
    mine = tickets[booked.display]
    assert mine["booking_code"] == booked.booking.code
    assert (mine["office"], mine["service"]) == (office.name, service.name)
    assert mine["mobile_number"] == PHONE and mine["status"] == "waiting"
    assert mine["checked_in_at"].startswith("2026-03-02T08:50")
    assert tickets[walked_in.display]["booking_code"] is None


def test_deleting_the_account_drops_the_number_from_the_residents_tickets_only(
    django_capture_on_commit_callbacks,
):
    office, service, counter, user, booked, walked_in, strangers = tickets_of_three_kinds()
    invitation, _token = invite(
        office,
        service,
        counter,
        ref=feedback_actions.ticket_subject_ref(walked_in.pk),
        email="zhang@example.com",
        visit_at=walked_in.arrived_at,
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(user).post("/zh-hans/account/delete/", {"password": PASSWORD})
    assert response.status_code == 302

    for ticket in (booked, walked_in, strangers):
        ticket.refresh_from_db()
    assert (booked.phone, walked_in.phone) == ("", "")
    assert strangers.phone == STRANGER
    # The visit itself stays for the statistics.
    assert (walked_in.office, walked_in.service, walked_in.arrived_at) == (
        office,
        service,
        at(10, 0),
    )
    # feedback still found the walk-in's rating invitation by the number before it went.
    invitation = Invitation.objects.get(pk=invitation.pk)
    assert (invitation.phone, invitation.email) == ("", "")
    # A new account with the same number does not inherit the old tickets.
    assert resident_data_export(resident(PHONE))["queue_tickets"] == []
