"""A resident who deletes their account (called from feedback/receivers.py and, for the ratings
of document requests, documents/receivers.py). Anonymising goes through the retention rules
(`retention.py`): one rule, in one place."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from accounts.models import User

from ..constants import MailboxStatus
from ..selectors import invitation_list_for_subjects, mailbox_list_for_resident
from .retention import invitation_anonymise, mailbox_anonymise, mailbox_contact_drop


@transaction.atomic
def mailbox_anonymise_for_resident(*, user: User, now: dt.datetime | None = None) -> int:
    """The resident's messages (written with their verified mobile number). Answered ones are
    anonymised as the retention job would; one still being handled keeps its text and
    attachment for the office, which must still answer it, and loses who wrote it."""
    now = now or timezone.now()
    items = mailbox_list_for_resident(user=user)
    answered = mailbox_anonymise(items.exclude(status=MailboxStatus.RECEIVED), now=now)
    handled = mailbox_contact_drop(items.filter(status=MailboxStatus.RECEIVED))
    return answered + handled


@transaction.atomic
def evaluation_anonymise_for_subjects(
    *, subject_refs: list[str], now: dt.datetime | None = None
) -> int:
    """The invitations and ratings of the resident's visits or requests, anonymised as the
    retention job would: contact and comment go, the rating stays for the statistics."""
    invitations = invitation_list_for_subjects(subject_refs=subject_refs)
    return invitation_anonymise(invitations, now=now or timezone.now())
