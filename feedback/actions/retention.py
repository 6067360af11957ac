"""Retention: personal data in evaluations and mailbox messages is dropped after
settings.RETENTION["PERSONAL_DATA_DAYS"] (nightly, beat). What the statistics need stays:
ratings, tags, office, service, counter, category and dates.

What anonymising drops is written once, here: the nightly job and a resident's account deletion
(`feedback.actions.resident`) both go through `invitation_anonymise`, `mailbox_anonymise` and
`mailbox_contact_drop`."""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils import timezone

from accounts.actions import audit_record
from accounts.models import AuditAction
from core.uploads import private_storage

from ..models import Evaluation, Invitation, MailboxItem

# Who wrote a message: all that a message still being handled gives up when its writer leaves.
MAILBOX_CONTACT_DROPPED = {
    "name_enc": "",
    "phone_enc": "",
    "phone_hmac": "",
    "phone_masked": "",
    "email_enc": "",
    "email_hmac": "",
}
# What was written: kept while the office still has to answer it.
MAILBOX_CONTENT_DROPPED = {
    "text": "",
    "answer": "",
    "attachment": "",
    "attachment_name": "",
    "attachment_type": "",
}


def invitation_anonymise(invitations: QuerySet[Invitation], *, now: dt.datetime) -> int:
    """Drop the contact of `invitations` (not anonymised yet) and the comment of their ratings;
    an unused link stops working, so no new comment arrives once the contact is gone. Returns
    how many invitations were anonymised."""
    ids = list(invitations.filter(anonymised_at__isnull=True).values_list("pk", flat=True))
    Invitation.objects.filter(pk__in=ids).update(phone_enc="", email_enc="", anonymised_at=now)
    Invitation.objects.filter(pk__in=ids, expires_at__gt=now).update(expires_at=now)
    Evaluation.objects.filter(invitation_id__in=ids).update(comment="", anonymised_at=now)
    return len(ids)


def mailbox_anonymise(items: QuerySet[MailboxItem], *, now: dt.datetime) -> int:
    """Drop everything personal of `items` (not anonymised yet): the writer's contact, the text,
    the answer and the attachment (its file after the commit). The reference, category, office,
    status and dates stay."""
    items = items.filter(anonymised_at__isnull=True)
    files = [name for name in items.values_list("attachment", flat=True) if name]
    count = items.update(**MAILBOX_CONTACT_DROPPED, **MAILBOX_CONTENT_DROPPED, anonymised_at=now)
    transaction.on_commit(lambda: [private_storage.delete(name) for name in files])
    return count


def mailbox_contact_drop(items: QuerySet[MailboxItem]) -> int:
    """Drop only who wrote `items`: the office can still read and answer them (the answer is
    on the follow page for whoever holds the reference and code). They stay un-anonymised, so
    the retention job still drops their text and answer in time."""
    return items.update(**MAILBOX_CONTACT_DROPPED)


@transaction.atomic
def evaluation_anonymise_before(*, cutoff: dt.datetime) -> int:
    """Drop the contact an invitation was sent to and the free-text comment of visits before
    `cutoff`. Returns how many invitations were anonymised."""
    count = invitation_anonymise(
        Invitation.objects.filter(visit_at__lt=cutoff), now=timezone.now()
    )
    if count:
        _audit(Invitation, count, cutoff)
    return count


@transaction.atomic
def mailbox_anonymise_before(*, cutoff: dt.datetime) -> int:
    """Drop name, phone, e-mail, text, answer and attachment of messages received before
    `cutoff`; the reference, category, office, status and dates stay."""
    count = mailbox_anonymise(
        MailboxItem.objects.filter(created_at__lt=cutoff), now=timezone.now()
    )
    if count:
        _audit(MailboxItem, count, cutoff)
    return count


def _audit(model: type[Model], count: int, cutoff: dt.datetime) -> None:
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
