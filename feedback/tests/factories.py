"""Feedback for tests: invitations with their raw token (only ever known at creation), ratings,
and the staff of an office."""

import datetime as dt

from django.test import TestCase
from django.utils import timezone

from accounts.tests.factories import staff
from feedback import actions
from feedback.constants import InvitationKind
from feedback.models import Invitation
from services.tests.factories import CounterFactory, OfficeFactory, ServiceFactory

PHONE = "13912345678"
EMAIL = "resident@example.com"


def office_setup():
    """An office with one service and one counter."""
    service = ServiceFactory(materials=0)
    office = OfficeFactory(services=[service])
    counter = CounterFactory(office=office, services=[service])
    return office, service, counter


def invite(office, service, counter=None, *, ref: str = "ticket:1", now=None, **kwargs):
    """(invitation, token): the token is read back from the SMS in the outbox."""
    from notifications.models import Message

    kwargs.setdefault("phone", PHONE)
    with TestCase.captureOnCommitCallbacks(execute=True):
        invitation = actions.evaluation_invite(
            kind=kwargs.pop("kind", InvitationKind.COUNTER),
            office=office,
            service=service,
            counter=counter,
            subject_ref=ref,
            now=now,
            **kwargs,
        )
    return invitation, token_from_outbox(Message, invitation)


def token_from_outbox(Message, invitation: Invitation) -> str:
    message = Message.objects.filter(ref=f"invitation:{invitation.pk}").first()
    if message is None:
        return ""
    return message.body.split("/rate/", 1)[1].split("/", 1)[0]


def manager_of(office, **fields):
    return staff("manager", office, **fields)


def at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def evaluation_for(office, *, rating: int = 2, ref: str = ""):
    """A rating of a visit at `office` (a rating of 1 or 2 comes with its follow-up case)."""
    service = ServiceFactory(materials=0)
    office.services.add(service)
    counter = CounterFactory(office=office, services=[service])
    ref = ref or f"ticket:{office.pk}-{service.pk}"
    _invitation, token = invite(office, service, counter, ref=ref)
    return actions.evaluation_record(token=token, rating=rating)


def mailbox_item_for(office):
    item, _code = actions.mailbox_submit(
        category="complaint", office=office, subject="测试来信", text="内容", name="测试",
        phone=PHONE,
    )
    return item
