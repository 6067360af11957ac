"""Reads of feedback, scoped to the staff member's offices (accounts.selectors)."""

import datetime as dt
import hmac

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from accounts.models import Role, StaffRole
from accounts.selectors import office_ids_with_perm

from .codes import follow_digest, normalize_reference
from .constants import LOW_RATINGS, REFERENCE_ALPHABET, REFERENCE_LENGTH, CaseStatus
from .errors import MailboxNotFound
from .models import Evaluation, FollowUpCase, MailboxItem

CASE_PERM = "feedback.change_followupcase"
MAILBOX_PERM = "feedback.change_mailboxitem"


def evaluation_counts_by_office_day(*, first: dt.date, last: dt.date) -> list[dict]:
    """Ratings per office, service, counter (None for documents) and day of the visit, for
    the statistics: count, total (sum of ratings) and low (ratings of 1 or 2). Nobody is named."""
    rows = (
        Evaluation.objects.filter(visit_on__gte=first, visit_on__lte=last)
        .values("office_id", "service_id", "counter_id", "visit_on")
        .annotate(
            count=Count("id"),
            total=Sum("rating"),
            low=Count("id", filter=Q(rating__in=LOW_RATINGS)),
        )
        .order_by("visit_on", "office_id", "service_id", "counter_id")
    )
    return [
        {
            "office_id": row["office_id"],
            "service_id": row["service_id"],
            "counter_id": row["counter_id"],
            "day": row["visit_on"],
            "count": row["count"],
            "total": row["total"],
            "low": row["low"],
        }
        for row in rows
    ]


def _scoped(queryset: QuerySet, user, perm: str) -> QuerySet:
    ids = office_ids_with_perm(user, perm)
    return queryset if ids is None else queryset.filter(office_id__in=ids)


def case_list_for_staff(user, *, status: str = CaseStatus.OPEN) -> QuerySet[FollowUpCase]:
    """The cases of the user's offices, the nearest deadline first."""
    cases = FollowUpCase.objects.select_related(
        "office", "evaluation__service", "evaluation__counter"
    ).order_by("due_on", "id")
    if status:
        cases = cases.filter(status=status)
    return _scoped(cases, user, CASE_PERM)


def case_get_for_staff(user, case_id: int) -> FollowUpCase:
    """Raises FollowUpCase.DoesNotExist for a case of another office (the page answers 404)."""
    return case_list_for_staff(user, status="").select_related(
        "evaluation__invitation", "closed_by"
    ).get(pk=case_id)


def mailbox_list_for_staff(user, *, status: str = "") -> QuerySet[MailboxItem]:
    items = MailboxItem.objects.select_related("office").order_by("due_on", "id")
    if status:
        items = items.filter(status=status)
    return _scoped(items, user, MAILBOX_PERM)


def mailbox_get_for_staff(user, item_id: int) -> MailboxItem:
    return mailbox_list_for_staff(user).select_related("answered_by").get(pk=item_id)


def is_late(due_on: dt.date, *, today: dt.date | None = None) -> bool:
    return due_on < (today or timezone.localdate())


def mailbox_get_for_follow(*, reference: str, code: str) -> MailboxItem:
    """The resident's message by reference and follow-up code; one answer for a wrong
    reference and a wrong code, so neither can be probed alone."""
    reference = normalize_reference(reference)
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    item = None
    if len(reference) == REFERENCE_LENGTH and set(reference) <= set(REFERENCE_ALPHABET):
        item = MailboxItem.objects.select_related("office").filter(reference=reference).first()
    digest = follow_digest(reference, code)
    if item is None or not hmac.compare_digest(digest, item.follow_code_hmac):
        raise MailboxNotFound()
    return item


def manager_emails(office_id: int, *, bureau: bool = False) -> list[str]:
    """E-mail addresses of the office's managers, and of the bureau's (a manager role with no
    office) when `bureau`."""
    offices = Q(office_id=office_id) | (Q(office__isnull=True) if bureau else Q(pk__in=[]))
    grants = StaffRole.objects.filter(offices, role=Role.MANAGER, user__is_active=True)
    emails = grants.exclude(user__email="").values_list("user__email", flat=True)
    return sorted(set(emails))
