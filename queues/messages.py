"""SMS to residents whose ticket is close to the front."""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from notifications.actions import message_send
from services.models import Office

from . import actions, selectors


def near_front_send(*, office_id: int, service_id: int) -> int:
    office = Office.objects.get(pk=office_id)
    ahead = settings.QUEUES["SMS_WHEN_AHEAD"]
    queue = list(selectors.office_waiting(office).filter(service_id=service_id)[: ahead + 1])
    sent = 0
    for position, ticket in enumerate(queue):
        if not ticket.phone or ticket.near_front_sms_sent or position > ahead:
            continue
        if not actions.ticket_mark_near_front_sent(ticket_id=ticket.pk):
            continue
        language = ticket.booking.language if ticket.booking_id else settings.LANGUAGE_CODE
        with translation.override(language):
            text = _("%(ticket)s: %(n)s people before you at %(office)s. Please stay nearby.") % {
                "ticket": ticket.display,
                "n": position,
                "office": office.name,
            }
        message_send(
            channel="sms",
            to=ticket.phone,
            subject="",
            body=text,
            kind="queue_near",
            ref=ticket.display,
        )
        sent += 1
    return sent
