"""The director's mailbox: submit, answer, escalate."""

import datetime as dt

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.actions import audit_record
from accounts.models import AuditAction, User
from core.crypto import encrypt_text, pii_hmac
from core.uploads import CheckedUpload, store_private
from core.workdays import working_days_after
from notifications.actions import recipient_mask
from services.models import Office

from ..codes import follow_code_new, follow_digest, reference_new
from ..constants import (
    MAILBOX_ANSWER_MAX,
    MAILBOX_TEXT_MAX,
    MAILBOX_TRANSITIONS,
    MailboxCategory,
    MailboxStatus,
)
from ..errors import AlreadyClosed, AnswerMissing
from ..models import MailboxItem
from ._common import escalate_once, tell_resident, tell_staff


@transaction.atomic
def mailbox_submit(
    *,
    category: str,
    office: Office,
    subject: str,
    text: str,
    name: str,
    phone: str,
    email: str = "",
    attachment: CheckedUpload | None = None,
    language: str = "zh-hans",
    now: dt.datetime | None = None,
) -> tuple[MailboxItem, str]:
    """File a message; returns it with its follow-up code, which is shown and sent once and
    stored only as a keyed digest. It goes to the office's managers with a deadline in
    working days."""
    if category not in MailboxCategory.values:
        raise ValueError(f"unknown category {category!r}")
    now = now or timezone.now()
    email = email.strip().lower()
    code = follow_code_new()
    item = MailboxItem(
        category=category,
        office=office,
        subject=subject.strip()[:100],
        text=text.strip()[:MAILBOX_TEXT_MAX],
        name_enc=encrypt_text(name.strip()),
        phone_enc=encrypt_text(phone),
        phone_hmac=pii_hmac(phone),
        phone_masked=recipient_mask("sms", phone),
        email_enc=encrypt_text(email) if email else "",
        email_hmac=pii_hmac(email) if email else "",
        language=language,
        due_on=working_days_after(
            start=timezone.localtime(now).date(), days=settings.FEEDBACK["MAILBOX_WORKING_DAYS"]
        ),
    )
    if attachment is not None:
        item.attachment = store_private(attachment, folder="mailbox")
        item.attachment_name = attachment.original_name or f"attachment.{attachment.extension}"
        item.attachment_type = attachment.content_type
    _save_with_new_reference(item, code)
    audit_record(
        actor=None, actor_username="resident", action=AuditAction.CREATE, obj=item,
        details={"category": category},
    )
    tell_resident("mailbox_received", item.pk, code)
    tell_staff("mailbox_new", item.pk)
    return item, code


def _save_with_new_reference(item: MailboxItem, code: str) -> None:
    for _attempt in range(5):
        item.reference = reference_new()
        item.follow_code_hmac = follow_digest(item.reference, code)
        try:
            with transaction.atomic():
                item.save(force_insert=True)
            return
        except IntegrityError:
            item.pk = None  # a reference already taken (about one in a trillion): draw again
    raise RuntimeError("no free mailbox reference after 5 draws")


@transaction.atomic
def mailbox_answer(
    *, item: MailboxItem, actor: User, answer: str, now: dt.datetime | None = None
) -> MailboxItem:
    """Answer the resident: they are told by SMS and e-mail and read it on the follow page."""
    now = now or timezone.now()
    item = MailboxItem.objects.select_for_update().get(pk=item.pk)
    if MailboxStatus.ANSWERED not in MAILBOX_TRANSITIONS[item.status]:
        raise AlreadyClosed()
    answer = (answer or "").strip()
    if not answer:
        raise AnswerMissing()
    item.status = MailboxStatus.ANSWERED
    item.answer = answer[:MAILBOX_ANSWER_MAX]
    item.answered_by = actor
    item.answered_at = now
    item.save(update_fields=["status", "answer", "answered_by", "answered_at"])
    audit_record(
        actor=actor,
        action=AuditAction.STATUS_CHANGE,
        obj=item,
        details={"status": MailboxStatus.ANSWERED},
    )
    tell_resident("mailbox_answered", item.pk)
    return item


@transaction.atomic
def mailbox_escalate_late(*, today: dt.date | None = None, now: dt.datetime | None = None) -> int:
    """Unanswered messages past their deadline go to the bureau's managers (beat, daily),
    once each."""
    now = now or timezone.now()
    today = today or timezone.localtime(now).date()
    late = MailboxItem.objects.filter(status=MailboxStatus.RECEIVED, due_on__lt=today)
    return escalate_once(late, kind="mailbox_late", now=now)


def mailbox_attachment_open(
    *, item: MailboxItem, actor: User, request: HttpRequest | None = None
) -> File:
    """The attachment's file for an authorised member of staff; the download is audited."""
    from core.uploads import private_storage

    audit_record(
        actor=actor,
        action=AuditAction.VIEW,
        obj=item,
        request=request,
        details={"page": "attachment"},
    )
    return private_storage.open(item.attachment.name, "rb")


def mailbox_contact_reveal(
    *, item: MailboxItem, actor: User, request: HttpRequest | None = None
) -> dict[str, str]:
    """The writer's name, phone and e-mail for a manager; a staff read of personal data."""
    audit_record(
        actor=actor, action=AuditAction.VIEW, obj=item, request=request, details={"page": "contact"}
    )
    return {"name": item.name, "phone": item.phone, "email": item.email}
