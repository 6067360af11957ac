"""SMS to residents whose ticket is close to the front."""

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from core.links import site_link
from notifications.actions import message_send
from services.models import Office

from . import actions, selectors


def near_front_send(*, office_id: int, service_id: int) -> int:
    office = Office.objects.get(pk=office_id)
    ahead = settings.QUEUES["SMS_WHEN_AHEAD"]
    # A ticket's place among its own service is a lower bound of its place at the counters that
    # can serve it (selectors.ticket_position, what its page shows): only these can be near.
    queue = list(selectors.office_waiting(office).filter(service_id=service_id)[: ahead + 1])
    sent = 0
    for ticket in queue:
        if not ticket.phone or ticket.near_front_sms_sent:
            continue
        position = selectors.ticket_position(ticket)
        if position > ahead:
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


def _office_managers(office_id: int) -> list:
    from accounts.selectors import staff_list_for_office, user_has_role

    staff = staff_list_for_office(office_id).exclude(email="")
    return [user for user in staff if user_has_role(user, "manager", office_id=office_id)]


def service_level_alert_send(*, office_id: int, breaches: list) -> int:
    """E-mail the office's managers which services wait past their target (one mail each)."""

    from services.models import Service

    office = Office.objects.get(pk=office_id)
    names = Service.objects.in_bulk([b.service_id for b in breaches])
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Waiting times over target at %(office)s") % {"office": office.name}
        lines = [
            _("%(service)s: longest wait %(longest)s min (target %(target)s min)")
            % {"service": names[b.service_id].name, "longest": b.longest, "target": b.target}
            for b in breaches
        ]
        url = site_link(reverse("console:office_live", args=[office.pk]))
        body = "\n".join([*lines, "", _("Live office view: %(url)s") % {"url": url}])
    managers = _office_managers(office_id)
    for manager in managers:
        message_send(
            channel="email",
            to=manager.email,
            subject=subject,
            body=body,
            kind="queue_service_level",
            ref=office.code,
        )
    return len(managers)
