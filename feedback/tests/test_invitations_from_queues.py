"""The beat job invites residents of counter visits finished since its last run: booked
visits through the booking's phone and e-mail, walk-ins through the phone they gave, nobody
without a contact, each ticket once."""

import datetime as dt

import pytest
from django.utils import timezone

from appointments.tests.factories import ScheduleFactory, SlotFactory, past_booking
from core.tests.factories import id_number
from feedback import actions
from feedback.models import Invitation
from notifications.models import Message
from queues import actions as queue_actions
from services.tests.factories import CounterFactory, OfficeFactory, ServiceFactory

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 3, 2)  # a Monday


def at(hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(DAY, dt.time(hour, minute)))


def new_service():
    return ServiceFactory(materials=0)


def office_with(service):
    office = OfficeFactory(services=[service])
    return office, [CounterFactory(office=office, services=[service])]


def booking(office, service, start):
    schedule = ScheduleFactory(office=office, services=[service])
    slot = SlotFactory(schedule=schedule, start=start, end=start + dt.timedelta(minutes=30))
    return past_booking(slot=slot, id_number=id_number(1), status="booked", service=service)


def walk_in(office, service, arrive, phone=""):
    return queue_actions.ticket_take_walk_in(
        office=office, service=service, now=arrive, phone=phone
    )


def _serve(ticket, counter, now):
    queue_actions.counter_open(counter=counter, clerk=None)
    called = queue_actions.ticket_call_next(
        counter=counter, clerk=None, now=now, ticket_id=ticket.pk
    )
    done_at = now + dt.timedelta(minutes=5)
    return queue_actions.ticket_finish(ticket=called, clerk=None, now=done_at)


def test_finished_tickets_with_a_contact_are_invited_once(django_capture_on_commit_callbacks):
    service = new_service()
    office, (counter,) = office_with(service)
    made = booking(office, service, at(9, 0))
    made.email = "booked@example.com"
    made.save(update_fields=["email"])
    booked = queue_actions.ticket_check_in_booking(office=office, code=made.code, now=at(8, 50))
    with_phone = walk_in(office, service, at(8, 55), phone="13700001111")
    nobody = walk_in(office, service, at(8, 56))
    still_waiting = walk_in(office, service, at(8, 57), phone="13700002222")
    for n, ticket in enumerate((booked, with_phone, nobody)):
        _serve(ticket, counter, at(9, 10 * n))

    with django_capture_on_commit_callbacks(execute=True):
        assert actions.evaluation_invite_finished_tickets(now=at(10, 0)) == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.evaluation_invite_finished_tickets(now=at(10, 5)) == 0

    refs = set(Invitation.objects.values_list("subject_ref", flat=True))
    assert refs == {f"ticket:{booked.pk}", f"ticket:{with_phone.pk}"}
    assert f"ticket:{still_waiting.pk}" not in refs
    invitation = Invitation.objects.get(subject_ref=f"ticket:{booked.pk}")
    assert invitation.counter == counter and invitation.email == "booked@example.com"
    assert Message.objects.filter(channel="sms", recipient="13700001111").count() == 1
    assert Message.objects.filter(channel="email", recipient="booked@example.com").count() == 1


def test_a_ticket_finished_after_a_run_is_invited_by_the_next(
    django_capture_on_commit_callbacks,
):
    service = new_service()
    office, (counter,) = office_with(service)
    actions.evaluation_invite_finished_tickets(now=at(9, 0))
    ticket = walk_in(office, service, at(9, 1), phone="13700003333")
    _serve(ticket, counter, at(9, 2))
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.evaluation_invite_finished_tickets(now=at(9, 10)) == 1
    assert Invitation.objects.get().visit_at == at(9, 7)
