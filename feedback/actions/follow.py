"""Following a mailbox message by reference + follow-up code: guarded per message against
guessing (accounts/lookup_guard.py)."""

import hmac

from accounts.actions import Target, lookup_verify

from ..codes import follow_digest, normalize_reference
from ..constants import REFERENCE_ALPHABET, REFERENCE_LENGTH
from ..errors import MailboxNotFound
from ..models import MailboxItem


def mailbox_follow_lookup(*, reference: str, code: str, ip: str | None = None) -> MailboxItem:
    """The resident's message by reference and follow-up code; one answer for a wrong
    reference and a wrong code. Wrong codes for an existing message count against it: after too
    many it is locked for everyone (LookupLocked) and the writer is told by SMS."""
    reference = normalize_reference(reference)
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    item = None
    if len(reference) == REFERENCE_LENGTH and set(reference) <= set(REFERENCE_ALPHABET):
        item = MailboxItem.objects.select_related("office").filter(reference=reference).first()
    digest = follow_digest(reference, code)
    matches = item is not None and hmac.compare_digest(digest, item.follow_code_hmac)
    target = None
    if item is not None:
        target = Target(kind="mailbox", key=item.reference, obj=item, phone=item.phone,
                        language=item.language, office_id=item.office_id)
    lookup_verify(target=target, matches=matches, ip=ip)
    if not matches or item is None:
        raise MailboxNotFound()
    return item
