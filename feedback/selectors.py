"""Reads of feedback, scoped to the staff member's offices (accounts.selectors)."""

import datetime as dt

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from accounts.models import Role, StaffRole, User
from accounts.selectors import (
    export_time,
    office_ids_with_perm,
    resident_verified_contacts,
)
from core.crypto import pii_hmac
from queues.selectors import ticket_list_for_resident

from .codes import ticket_subject_ref
from .constants import LOW_RATINGS, CaseStatus
from .models import Evaluation, FollowUpCase, Invitation, MailboxItem

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


def _scoped(queryset: QuerySet, user: User, perm: str) -> QuerySet:
    ids = office_ids_with_perm(user, perm)
    return queryset if ids is None else queryset.filter(office_id__in=ids)


def case_list_for_staff(user: User, *, status: str = CaseStatus.OPEN) -> QuerySet[FollowUpCase]:
    """The cases of the user's offices, the nearest deadline first."""
    cases = FollowUpCase.objects.select_related(
        "office", "evaluation__service", "evaluation__counter"
    ).order_by("due_on", "id")
    if status:
        cases = cases.filter(status=status)
    return _scoped(cases, user, CASE_PERM)


def case_get_for_staff(user: User, case_id: int) -> FollowUpCase:
    """Raises FollowUpCase.DoesNotExist for a case of another office (the page answers 404)."""
    return case_list_for_staff(user, status="").select_related(
        "evaluation__invitation", "closed_by"
    ).get(pk=case_id)


def mailbox_list_for_staff(user: User, *, status: str = "") -> QuerySet[MailboxItem]:
    items = MailboxItem.objects.select_related("office").order_by("due_on", "id")
    if status:
        items = items.filter(status=status)
    return _scoped(items, user, MAILBOX_PERM)


def mailbox_get_for_staff(user: User, item_id: int) -> MailboxItem:
    return mailbox_list_for_staff(user).select_related("answered_by").get(pk=item_id)


def is_late(due_on: dt.date, *, today: dt.date | None = None) -> bool:
    return due_on < (today or timezone.localdate())


def manager_emails(office_id: int, *, bureau: bool = False) -> list[str]:
    """E-mail addresses of the office's managers, and of the bureau's (a manager role with no
    office) when `bureau`."""
    offices = Q(office_id=office_id) | (Q(office__isnull=True) if bureau else Q(pk__in=[]))
    grants = StaffRole.objects.filter(offices, role=Role.MANAGER, user__is_active=True)
    emails = grants.exclude(user__email="").values_list("user__email", flat=True)
    return sorted(set(emails))


# --- a resident's own rows: their data export and account deletion ------------------------------


def mailbox_list_for_resident(*, user: User) -> QuerySet[MailboxItem]:
    """Messages written with the resident's verified mobile number or e-mail address: each
    one's follow-up code went there, so its owner can follow them already."""
    phone, email = resident_verified_contacts(user)
    mine = Q(pk__in=[])
    if phone:
        mine |= Q(phone_hmac=pii_hmac(phone))
    if email:
        mine |= Q(email_hmac=pii_hmac(email))
    return MailboxItem.objects.filter(mine).select_related("office").order_by("created_at", "id")


def counter_subject_refs_for_resident(*, user: User, id_number_hmac: str = "") -> list[str]:
    """What the resident's counter visits (queues' rule for "a resident's tickets") are called
    on their invitations."""
    tickets = ticket_list_for_resident(user=user, id_number_hmac=id_number_hmac)
    return [ticket_subject_ref(pk) for pk in tickets.values_list("pk", flat=True)]


def invitation_list_for_subjects(*, subject_refs: list[str]) -> QuerySet[Invitation]:
    return (
        Invitation.objects.filter(subject_ref__in=subject_refs)
        .select_related("office", "service", "evaluation")
        .order_by("visit_at", "id")
    )


def evaluation_data_for_subjects(*, subject_refs: list[str]) -> dict[str, dict]:
    """For a resident's data export: each invitation about `subject_refs` (by subject), with
    the contact it was sent to and the rating given, if any."""
    return {
        invitation.subject_ref: _invitation_data(invitation)
        for invitation in invitation_list_for_subjects(subject_refs=subject_refs)
    }



def _invitation_data(invitation: Invitation) -> dict:
    evaluation = getattr(invitation, "evaluation", None)
    return {
        "kind": invitation.kind,
        "office": invitation.office.name,
        "service": invitation.service.name,
        "visit_or_decision_at": export_time(invitation.visit_at),
        "invited_at": export_time(invitation.created_at),
        "mobile_number": invitation.phone,
        "email": invitation.email,
        "rating": None if evaluation is None else {
            "rating": evaluation.rating,
            "tags": evaluation.tags,
            "comment": evaluation.comment,
            "rated_at": export_time(evaluation.created_at),
        },
    }


def mailbox_data(item: MailboxItem) -> dict:
    """One message in the resident's data export; an attachment by its name, not its content."""
    return {
        "reference": item.reference,
        "category": item.category,
        "office": item.office.name,
        "subject": item.subject,
        "text": item.text,
        "name": item.name,
        "mobile_number": item.phone,
        "email": item.email,
        "attachment": item.attachment_name or None,
        "status": item.status,
        "received_at": export_time(item.created_at),
        "answer_due_on": item.due_on.isoformat(),
        "answer": item.answer,
        "answered_at": export_time(item.answered_at),
    }
