"""Sending SMS and e-mail: each message is written to the outbox first, then handed to the
backend, then marked sent or failed. A failure is recorded, never raised, so one channel's
outage does not stop the other; callers that want a retry look at the returned status."""

import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.outbox import outbox_current_key, outbox_enqueue
from core.retention import apply_in_batches

from .backends import get_sms_backend
from .models import Channel, Message, MessageStatus

logger = logging.getLogger(__name__)

Attachment = tuple[str, bytes, str]  # (filename, content, mimetype)


@dataclass
class Outgoing:
    """One message an app's messages module means to send (then `message_send`): to "" is
    skipped; attachments are built only when the message goes out (a PDF is not free)."""

    channel: str
    to: str
    subject: str
    body: str
    attachments: Callable[[], list[Attachment]] = field(default=list)


class DeliveryFailed(OSError):
    """Some message could not be delivered; an OSError, so Celery tasks retry it."""


# Texts written before the signature was added here carry one of these; they keep only one.
_OLD_SIGNATURES = ("【一窗通办】", "[OneWindow]")


def sms_signed(text: str) -> str:
    """The text with the sender's signature (短信签名, registered with the gateway) in front, once,
    whatever the resident's language: the one place every SMS is signed."""
    signature = settings.SMS_SIGNATURE
    body = text.strip()
    for old in (signature, *_OLD_SIGNATURES):
        if old and body.startswith(old):
            body = body[len(old) :].lstrip()
            break
    return f"{signature}{body}"


def recipient_mask(channel: str, to: str) -> str:
    """138****8000 for a phone number, z***@example.com for an e-mail address."""
    if channel == Channel.EMAIL:
        local, _sep, domain = to.partition("@")
        return f"{local[:1]}***@{domain}" if domain else "***"
    if len(to) >= 11:
        return to[:3] + "*" * (len(to) - 7) + to[-4:]
    return "*" * max(len(to) - 4, 4) + to[-4:] if len(to) > 4 else "****"


def message_send(
    *,
    channel: str,
    to: str,
    subject: str = "",
    body: str,
    kind: str,
    ref: str = "",
    attachments: Iterable[Attachment] = (),
    dedupe_key: str = "",
) -> Message:
    """Write the message and hand it to the backend. With a dedupe key (given, or derived from
    the outbox row being run) a message already sent under that key is not sent again."""
    if channel not in Channel.values:
        raise ValueError(f"unknown channel {channel!r}")
    if channel == Channel.SMS:
        body = sms_signed(body)
    fields = {
        "channel": channel, "recipient": to, "recipient_masked": recipient_mask(channel, to),
        "subject": subject[:200], "body": body, "kind": kind, "ref": ref,
    }  # fmt: skip
    dedupe_key = dedupe_key or _outbox_dedupe_key(channel=channel, to=to, kind=kind, ref=ref)
    if dedupe_key:
        return _send_once(dedupe_key, fields, attachments)
    message = _left_unfinished(channel=channel, to=to, kind=kind, ref=ref)
    if message is not None:  # a worker died while delivering it: this is the retry
        return message_deliver(message=message, attachments=attachments)
    message = Message.objects.create(**fields)
    return message_deliver(message=message, attachments=attachments)


def message_enqueue(*, channel: str, to: str, subject: str = "", body: str, kind: str) -> None:
    """message_send once the caller's transaction commits (an outbox row, core/outbox.py): a
    rolled-back request leaves no code in anyone's inbox. The address and the text travel as
    encrypted outbox arguments."""
    secrets = [to, subject, body]
    outbox_enqueue("notifications.tasks.message_send_later", channel, kind, secret_args=secrets)


def _outbox_dedupe_key(*, channel: str, to: str, kind: str, ref: str) -> str:
    """While an outbox row runs: this message of that row (a digest: no address in the key)."""
    row_key = outbox_current_key()
    if row_key is None:
        return ""
    return hashlib.sha256("|".join((row_key, channel, kind, ref, to)).encode()).hexdigest()


def _send_once(dedupe_key: str, fields: dict, attachments: Iterable[Attachment]) -> Message:
    message = Message.objects.filter(dedupe_key=dedupe_key).first()
    if message is None:
        try:
            with transaction.atomic():
                message = Message.objects.create(dedupe_key=dedupe_key, **fields)
        except IntegrityError:  # written at this instant by another run, which sends it
            return Message.objects.get(dedupe_key=dedupe_key)
    elif message.status == MessageStatus.SENT:
        return message  # the row ran before and sent it: once is enough
    return message_deliver(message=message, attachments=attachments)


def _left_unfinished(*, channel: str, to: str, kind: str, ref: str) -> Message | None:
    """A message still QUEUED was never answered by the backend: its worker was killed in the
    middle (the task is then delivered again). Reusing it keeps one outbox row per message."""
    if not ref:
        return None
    return (
        Message.objects.filter(
            channel=channel, recipient=to, kind=kind, ref=ref, status=MessageStatus.QUEUED
        )
        .order_by("pk")
        .first()
    )


def message_deliver(*, message: Message, attachments: Iterable[Attachment] = ()) -> Message:
    """One delivery attempt of an outbox message (the first, or a retry of a failed one)."""
    message.attempts += 1
    try:
        _hand_to_backend(message, list(attachments))
    except Exception as exc:  # any backend error: record it, keep the other channels going
        message.status = MessageStatus.FAILED
        # The exception text may quote the address: keep only its masked form.
        message.error = f"{type(exc).__name__}: {exc}".replace(
            message.recipient, message.recipient_masked
        )[:200]
        logger.warning(
            "%s %s %s to %s failed: %s",
            message.channel,
            message.kind,
            message.ref,
            message.recipient_masked,
            type(exc).__name__,
        )
    else:
        message.status = MessageStatus.SENT
        message.sent_at = timezone.now()
        message.error = ""
    message.save(update_fields=["attempts", "status", "error", "sent_at"])
    return message


def _hand_to_backend(message: Message, attachments: list[Attachment]) -> None:
    if message.channel == Channel.SMS:
        get_sms_backend().send(phone=message.recipient, text=message.body)
        return
    email = EmailMessage(subject=message.subject, body=message.body, to=[message.recipient])
    for filename, content, mimetype in attachments:
        email.attach(filename, content, mimetype)
    email.send()


def message_anonymise_before(*, cutoff: dt.datetime) -> int:
    """Outbox messages written before `cutoff` lose their address, subject, text (verification
    codes, names, booking details) and error; channel, kind, reference, status, attempts and
    times stay, so "was it sent?" can still be answered."""
    due = Message.objects.filter(created_at__lt=cutoff).exclude(recipient="", body="")
    return apply_in_batches(due, _messages_anonymise)


@transaction.atomic
def _messages_anonymise(ids: list[int]) -> int:
    return Message.objects.filter(pk__in=ids).update(
        recipient="", recipient_masked="", subject="", body="", error=""
    )
