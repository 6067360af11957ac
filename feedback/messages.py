"""What residents and managers are told, by SMS and e-mail (the outbox, notifications).

Called by the Celery tasks with ids. Residents read their messages in their own language,
managers in the site's. A message already sent for the same kind, subject and recipient is not
sent again, so a retried task repeats only what failed.
"""

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from core.links import site_reverse
from notifications.actions import DeliveryFailed, Outgoing, message_send
from notifications.models import Channel, Message, MessageStatus

from . import selectors
from .models import FollowUpCase, Invitation, MailboxItem


def _url(name: str, *args, language: str) -> str:
    return site_reverse(name, args=args, language=language)


def _day(value) -> str:
    return formats.date_format(value, "DATE_FORMAT")


def _already_sent(*, channel: str, kind: str, ref: str, to: str) -> bool:
    return Message.objects.filter(
        channel=channel, kind=kind, ref=ref, recipient=to, status=MessageStatus.SENT
    ).exists()


def _send_all(outgoing: list[Outgoing], *, kind: str, ref: str) -> int:
    """Send each message not yet sent; raise DeliveryFailed (the task retries) if one failed."""
    sent, failed = 0, False
    for item in outgoing:
        if not item.to or _already_sent(channel=item.channel, kind=kind, ref=ref, to=item.to):
            continue
        message = message_send(
            channel=item.channel,
            to=item.to,
            subject=item.subject,
            body=item.body,
            kind=f"feedback_{kind}",
            ref=ref,
        )
        sent += message.status == MessageStatus.SENT
        failed |= message.status == MessageStatus.FAILED
    if failed:
        raise DeliveryFailed(f"feedback {kind} {ref}")
    return sent


def _to_resident(phone: str, email: str, sms: str, subject: str, body: str) -> list[Outgoing]:
    return [
        Outgoing(Channel.SMS, phone, "", sms),
        Outgoing(Channel.EMAIL, email, subject, body),
    ]


# --- residents -----------------------------------------------------------------------------------


def invitation_message_send(*, invitation_id: int, token: str) -> int:
    invitation = Invitation.objects.select_related("office", "service").get(pk=invitation_id)
    if invitation.used_at or invitation.anonymised_at:
        return 0
    with translation.override(invitation.language):
        url = _url("feedback:rate", token, language=invitation.language)
        facts = {
            "office": invitation.office.name,
            "service": invitation.service.name,
            "day": _day(timezone.localtime(invitation.visit_at).date()),
            "days": settings.FEEDBACK["INVITATION_DAYS"],
            "url": url,
        }
        sms = _(
            "Thank you for using %(service)s at %(office)s. Please rate our service "
            "(link valid for %(days)s days, once): %(url)s"
        ) % facts
        subject = _("Please rate our service")
        body = _(
            "Thank you for using %(service)s at %(office)s on %(day)s.\n\n"
            "How satisfied were you? Rating takes a minute and needs no sign-in:\n%(url)s\n\n"
            "The link can be used once and is valid for %(days)s days. Your rating is never "
            "shown with your name to the staff who served you.\n"
        ) % facts
        outgoing = _to_resident(invitation.phone, invitation.email, sms, subject, body)
    return _send_all(outgoing, kind="invitation", ref=f"invitation:{invitation.pk}")


def case_closed_message_send(*, case_id: int) -> int:
    case = FollowUpCase.objects.select_related(
        "office", "evaluation__service", "evaluation__invitation"
    ).get(pk=case_id)
    invitation = case.evaluation.invitation
    with translation.override(invitation.language):
        facts = {
            "office": case.office.name,
            "service": case.evaluation.service.name,
            "day": _day(case.evaluation.visit_on),
            "action": case.action_taken,
        }
        sms = _(
            "About your rating of %(service)s at %(office)s on %(day)s: we have followed it "
            "up. What was done: %(action)s"
        ) % facts
        subject = _("Your rating has been followed up")
        body = _(
            "Thank you for telling us about your visit for %(service)s at %(office)s on "
            "%(day)s.\n\nThe office has followed up your rating. What was done:\n\n%(action)s\n"
        ) % facts
        outgoing = _to_resident(invitation.phone, invitation.email, sms, subject, body)
    return _send_all(outgoing, kind="case_closed", ref=f"case:{case.pk}")


def _mailbox_facts(item: MailboxItem) -> dict:
    return {
        "reference": item.reference,
        "office": item.office.name,
        "due": _day(item.due_on),
        "url": _url("feedback:mailbox_follow", language=item.language),
        "subject": item.subject,
        "answer": item.answer,
    }


def mailbox_received_message_send(*, item_id: int, code: str) -> int:
    item = MailboxItem.objects.select_related("office").get(pk=item_id)
    with translation.override(item.language):
        facts = {**_mailbox_facts(item), "code": code}
        sms = _(
            "Your message to the director's mailbox was received: reference %(reference)s, "
            "follow-up code %(code)s. An answer is due by %(due)s. Follow it at %(url)s"
        ) % facts
        subject = _("Director's mailbox: your message %(reference)s was received") % facts
        body = _(
            "Your message \"%(subject)s\" to the director's mailbox was received and sent "
            "to %(office)s.\n\nReference: %(reference)s\nFollow-up code: %(code)s\n"
            "Answer due by: %(due)s\n\nFollow it with the reference and the code at %(url)s\n"
        ) % facts
        outgoing = _to_resident(item.phone, item.email, sms, subject, body)
    return _send_all(outgoing, kind="mailbox_received", ref=f"mailbox:{item.pk}")


def mailbox_answered_message_send(*, item_id: int) -> int:
    item = MailboxItem.objects.select_related("office").get(pk=item_id)
    with translation.override(item.language):
        facts = _mailbox_facts(item)
        sms = _(
            "Your message %(reference)s to the director's mailbox has been answered. Read "
            "the answer at %(url)s with your reference and follow-up code."
        ) % facts
        subject = _("Director's mailbox: your message %(reference)s has been answered") % facts
        body = _(
            "Your message \"%(subject)s\" (reference %(reference)s) has been answered by "
            "%(office)s:\n\n%(answer)s\n\nYou can read it again at %(url)s\n"
        ) % facts
        outgoing = _to_resident(item.phone, item.email, sms, subject, body)
    return _send_all(outgoing, kind="mailbox_answered", ref=f"mailbox:{item.pk}")


# --- managers ------------------------------------------------------------------------------------


def _to_managers(emails: list[str], subject: str, body: str) -> list[Outgoing]:
    return [Outgoing(Channel.EMAIL, email, subject, body) for email in emails]


def case_staff_message_send(*, case_id: int, late: bool) -> int:
    case = FollowUpCase.objects.select_related(
        "office", "evaluation__service", "evaluation__counter"
    ).get(pk=case_id)
    evaluation = case.evaluation
    language = settings.LANGUAGE_CODE
    with translation.override(language):
        facts = {
            "office": case.office.name,
            "service": evaluation.service.name,
            "counter": _("Counter %(number)s") % {"number": evaluation.counter.number}
            if evaluation.counter
            else "—",
            "rating": evaluation.rating,
            "day": _day(evaluation.visit_on),
            "due": _day(case.due_on),
            "url": _url("feedback_staff:case", case.pk, language=language),
        }
        if late:
            subject = _("Late follow-up case at %(office)s (due %(due)s)") % facts
        else:
            subject = _("New follow-up case: a rating of %(rating)s at %(office)s") % facts
        body = _(
            "A resident rated %(service)s at %(office)s (%(counter)s) on %(day)s with "
            "%(rating)s out of 5.\n\nThe follow-up is due by %(due)s. Open the case:\n%(url)s\n"
        ) % facts
        emails = selectors.manager_emails(case.office_id, bureau=late)
        outgoing = _to_managers(emails, subject, body)
    kind = "case_late" if late else "case_opened"
    return _send_all(outgoing, kind=kind, ref=f"case:{case.pk}")


def mailbox_staff_message_send(*, item_id: int, late: bool) -> int:
    item = MailboxItem.objects.select_related("office").get(pk=item_id)
    language = settings.LANGUAGE_CODE
    with translation.override(language):
        facts = {
            **_mailbox_facts(item),
            "category": item.get_category_display(),
            "url": _url("feedback_staff:mailbox_item", item.pk, language=language),
        }
        if late:
            subject = _("Late director's mailbox message %(reference)s (due %(due)s)") % facts
        else:
            subject = _("Director's mailbox: new message %(reference)s") % facts
        body = _(
            "%(category)s for %(office)s: \"%(subject)s\".\n\nThe answer is due by %(due)s. "
            "Open the message:\n%(url)s\n"
        ) % facts
        emails = selectors.manager_emails(item.office_id, bureau=late)
        outgoing = _to_managers(emails, subject, body)
    kind = "mailbox_late" if late else "mailbox_new"
    return _send_all(outgoing, kind=kind, ref=f"mailbox:{item.pk}")


RESIDENT_SENDERS = {
    "case_closed": lambda pk, secret: case_closed_message_send(case_id=pk),
    "mailbox_received": lambda pk, secret: mailbox_received_message_send(item_id=pk, code=secret),
    "mailbox_answered": lambda pk, secret: mailbox_answered_message_send(item_id=pk),
}
STAFF_SENDERS = {
    "case_opened": lambda pk: case_staff_message_send(case_id=pk, late=False),
    "case_late": lambda pk: case_staff_message_send(case_id=pk, late=True),
    "mailbox_new": lambda pk: mailbox_staff_message_send(item_id=pk, late=False),
    "mailbox_late": lambda pk: mailbox_staff_message_send(item_id=pk, late=True),
}
