"""Pieces shared by the feedback actions: the outbox hand-off and the once-only escalation."""

import datetime as dt

from django.db.models import QuerySet

from core.outbox import outbox_enqueue


def tell_resident(kind: str, object_id: int, secret: str = "") -> None:
    """SMS and e-mail to the resident once the transaction commits (an outbox row; the secret,
    a mailbox code, rests encrypted until it is sent)."""
    secrets = [secret] if secret else ()
    outbox_enqueue("feedback.tasks.resident_notify", kind, object_id, secret_args=secrets)


def tell_staff(kind: str, object_id: int) -> None:
    """E-mail to the office's managers (and bureau managers for escalations), after commit."""
    outbox_enqueue("feedback.tasks.staff_notify", kind, object_id)


def escalate_once(queryset: QuerySet, *, kind: str, now: dt.datetime) -> int:
    """Mark the late rows of `queryset` (not escalated yet) as escalated and tell the managers
    of each, once: the rows are locked, so two runs at once cannot both send."""
    late = list(
        queryset.select_for_update().filter(escalated_at__isnull=True).values_list("pk", flat=True)
    )
    queryset.model.objects.filter(pk__in=late).update(escalated_at=now)
    for pk in late:
        tell_staff(kind, pk)
    return len(late)
