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
