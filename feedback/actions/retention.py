"""Retention: personal data in evaluations and mailbox messages is dropped after
settings.RETENTION["PERSONAL_DATA_DAYS"] (nightly, beat). What the statistics need stays:
ratings, tags, office, service, counter, category and dates."""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.actions import audit_record
from accounts.models import AuditAction
from core.uploads import private_storage

from ..models import Evaluation, Invitation, MailboxItem


@transaction.atomic
def evaluation_anonymise_before(*, cutoff: dt.datetime) -> int:
    """Drop the contact an invitation was sent to and the free-text comment of visits before
    `cutoff`. Returns how many invitations were anonymised."""
    now = timezone.now()
    invitations = Invitation.objects.filter(visit_at__lt=cutoff, anonymised_at__isnull=True)
    ids = list(invitations.values_list("pk", flat=True))
    Invitation.objects.filter(pk__in=ids).update(phone_enc="", email_enc="", anonymised_at=now)
    Evaluation.objects.filter(invitation_id__in=ids).update(comment="", anonymised_at=now)
    if ids:
        _audit(Invitation, len(ids), cutoff)
    return len(ids)


@transaction.atomic
def mailbox_anonymise_before(*, cutoff: dt.datetime) -> int:
    """Drop name, phone, e-mail, text, answer and attachment of messages received before
    `cutoff`; the reference, category, office, status and dates stay."""
    now = timezone.now()
    items = MailboxItem.objects.filter(created_at__lt=cutoff, anonymised_at__isnull=True)
    files = [name for name in items.values_list("attachment", flat=True) if name]
    count = items.update(
        name_enc="",
        phone_enc="",
        phone_hmac="",
        phone_masked="",
        email_enc="",
        text="",
        answer="",
        attachment="",
        attachment_name="",
        attachment_type="",
        anonymised_at=now,
    )
    transaction.on_commit(lambda: [private_storage.delete(name) for name in files])
    if count:
        _audit(MailboxItem, count, cutoff)
    return count


def _audit(model, count: int, cutoff: dt.datetime) -> None:
    audit_record(
        actor=None,
        actor_username="retention",
        action=AuditAction.CHANGE,
        obj=model,
        details={"anonymised": count, "before": cutoff.isoformat()},
    )


def feedback_retention_run(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The nightly job: everything older than the retention period."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.RETENTION["PERSONAL_DATA_DAYS"])
    return {
        "evaluations": evaluation_anonymise_before(cutoff=cutoff),
        "mailbox": mailbox_anonymise_before(cutoff=cutoff),
    }
