"""Reads of document requests: the resident's own, and the reviewer's queue scoped to the
offices where the reviewer holds the permission (accounts.selectors.office_ids_with_perm). A
request of another office, or another resident's, is simply not found (404)."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from accounts.models import User
from accounts.selectors import office_ids_with_perm
from services.models import Bundle, BundlePart, Office

from . import deadlines
from .constants import DECIDED_STATUSES, OPEN_STATUSES, RequestStatus
from .models import (
    BundleApplication,
    DocumentRequest,
    DocumentType,
    PendingDecision,
    RequestEvent,
    RequestMaterial,
)

VIEW_PERM = "documents.view_documentrequest"
MATERIAL_PERM = "documents.view_requestmaterial"


def doc_type_list_active() -> QuerySet[DocumentType]:
    return DocumentType.objects.filter(is_active=True, service__is_active=True).select_related(
        "service"
    )


def doc_type_get_active(*, code: str) -> DocumentType:
    return doc_type_list_active().get(code=code)


def doc_type_get_by_code(*, code: str) -> DocumentType:
    """An active online service by its catalogue service code or its own form code."""
    found = doc_type_list_active().filter(service__code=code).first()
    return found or doc_type_get_active(code=code)


def office_list_for_doc_type(doc_type: DocumentType) -> QuerySet[Office]:
    """The active offices that offer the document's service: the reviewing office is one."""
    return Office.objects.filter(is_active=True, services=doc_type.service).order_by("code")


def request_answers_display(req: DocumentRequest) -> list[tuple[str, str]]:
    """(label, value) of the request's answers, as its own form version words them."""
    from .definitions import answers_display

    if req.form_version is None:
        return []
    return answers_display(req.form_version.fields, req.answers)


def bundle_list_active() -> QuerySet[Bundle]:
    return Bundle.objects.filter(is_active=True).prefetch_related(
        Prefetch("parts", queryset=BundlePart.objects.select_related("service"))
    )


def bundle_get_active(*, code: str) -> Bundle:
    return bundle_list_active().get(code=code)


def bundle_parts_online(bundle: Bundle) -> list[DocumentType]:
    """The parts of the bundle that can be applied for online, in the bundle's order."""
    service_ids = [part.service_id for part in bundle.parts.all()]
    found = {d.service_id: d for d in doc_type_list_active().filter(service_id__in=service_ids)}
    return [found[s] for s in service_ids if s in found]


def office_list_for_doc_types(doc_types: list[DocumentType]) -> QuerySet[Office]:
    """The active offices that offer every one of these online services."""
    offices = Office.objects.filter(is_active=True)
    for doc_type in doc_types:
        offices = offices.filter(services=doc_type.service_id)
    return offices.distinct().order_by("code")


def bundle_application_list_for_resident(user: User) -> QuerySet[BundleApplication]:
    return BundleApplication.objects.filter(user=user).select_related("bundle")


def bundle_application_get_for_resident(user: User, *, reference: str) -> BundleApplication:
    return BundleApplication.objects.select_related("bundle").prefetch_related(
        Prefetch("parts", queryset=DocumentRequest.objects.select_related("doc_type", "office")
                 .order_by("id"))
    ).get(reference=reference, user=user)


def bundle_application_get_for_client(client_name: str, *, reference: str) -> BundleApplication:
    """A bundle application made through the API by this client (another client's: not found)."""
    return BundleApplication.objects.select_related("bundle").get(
        reference=reference, api_client=client_name)


# --- the resident's own --------------------------------------------------------------------------


def request_list_for_resident(user: User) -> QuerySet[DocumentRequest]:
    return (
        DocumentRequest.objects.filter(user=user).select_related("doc_type", "office")
        .order_by("-created_at")
    )


def request_get_for_resident(user: User, *, reference: str) -> DocumentRequest:
    return request_list_for_resident(user).get(reference=reference)


def material_get_for_resident(
    user: User, *, reference: str, material_id: int
) -> RequestMaterial:
    return RequestMaterial.objects.select_related("request").get(
        pk=material_id, request__reference=reference, request__user=user
    )


def request_events_for_resident(req: DocumentRequest) -> QuerySet[RequestEvent]:
    return req.events.filter(visible_to_resident=True)


def request_get_for_client(client_name: str, *, reference: str) -> DocumentRequest:
    """A request made through the API by this client (another client's is not found)."""
    return DocumentRequest.objects.select_related("doc_type", "office").get(
        reference=reference, api_client=client_name
    )


# --- staff ---------------------------------------------------------------------------------------


def _scoped(user: User, queryset: QuerySet, perm: str, field: str = "office") -> QuerySet:
    ids = office_ids_with_perm(user, perm)
    return queryset if ids is None else queryset.filter(**{f"{field}__in": ids})


@dataclass
class QueueRow:
    request: DocumentRequest
    deadline: deadlines.Deadline
    pending: PendingDecision | None


QUEUE_FILTERS = ("open", "late", "near", "needs_info", "pending", "decided")


def request_queue_for_staff(
    user: User, *, show: str = "open", office_id: int | None = None
) -> list[QueueRow]:
    """The reviewer's queue, earliest due date first, each with its late / near-late mark."""
    queryset = _scoped(user, DocumentRequest.objects.exclude(status=RequestStatus.DRAFT), VIEW_PERM)
    if office_id:
        queryset = queryset.filter(office_id=office_id)
    if show == "decided":
        queryset = queryset.exclude(status__in=OPEN_STATUSES)
    else:
        queryset = queryset.filter(status__in=OPEN_STATUSES)
    if show == "needs_info":
        queryset = queryset.filter(status=RequestStatus.NEEDS_INFO)
    queryset = queryset.select_related("doc_type", "office", "reviewer").order_by(
        "due_on", "submitted_at"
    )
    pending = {
        d.request_id: d
        for d in PendingDecision.objects.filter(
            request__in=queryset, closed_at__isnull=True
        ).select_related("proposed_by")
    }
    today = timezone.localdate()
    rows = [
        QueueRow(
            req,
            deadlines.deadline_of(
                due_on=req.due_on, today=today, paused=req.status == RequestStatus.NEEDS_INFO
            ),
            pending.get(req.pk),
        )
        for req in queryset[:500]
    ]
    if show == "late":
        rows = [r for r in rows if r.deadline.late and not r.deadline.paused]
    elif show == "near":
        rows = [r for r in rows if r.deadline.near and not r.deadline.paused]
    elif show == "pending":
        rows = [r for r in rows if r.pending]
    return rows


def office_list_for_review(user: User) -> QuerySet[Office]:
    return _scoped(user, Office.objects.filter(is_active=True), VIEW_PERM, field="pk")


def request_get_for_staff(user: User, *, reference: str) -> DocumentRequest:
    return (
        _scoped(user, DocumentRequest.objects.exclude(status=RequestStatus.DRAFT), VIEW_PERM)
        .select_related("doc_type", "office", "reviewer", "decided_by")
        .get(reference=reference)
    )


def material_get_for_staff(user: User, *, reference: str, material_id: int) -> RequestMaterial:
    queryset = RequestMaterial.objects.select_related("request").exclude(
        request__status=RequestStatus.DRAFT
    )
    return _scoped(user, queryset, MATERIAL_PERM, field="request__office").get(
        pk=material_id, request__reference=reference
    )


def decision_open_for(req: DocumentRequest) -> PendingDecision | None:
    return (
        PendingDecision.objects.filter(request=req, closed_at__isnull=True)
        .select_related("proposed_by")
        .first()
    )


def request_deadline(req: DocumentRequest) -> deadlines.Deadline:
    return deadlines.deadline_of(
        due_on=req.due_on,
        today=timezone.localdate(),
        paused=req.status == RequestStatus.NEEDS_INFO,
    )


def request_decisions_by_office_day(*, first: dt.date, last: dt.date) -> list[dict]:
    """Decided requests (approved or refused; issued and revoked ones were approved) per office,
    catalogue service and local day of the decision, and how many were decided by their due
    date. For the statistics (reports/)."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(first, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    rows: dict[tuple, dict] = {}
    decided = DocumentRequest.objects.filter(
        decided_at__gte=start, decided_at__lt=end, status__in=DECIDED_STATUSES
    ).values_list("office_id", "doc_type__service_id", "decided_at", "due_on",
                  "bundle_application_id")
    for office_id, service_id, decided_at, due_on, bundle_id in decided:
        day = timezone.localdate(decided_at)
        row = rows.setdefault(
            (office_id, service_id, day),
            {"office_id": office_id, "service_id": service_id, "day": day, "decided": 0,
             "decided_in_time": 0, "in_bundle": 0},
        )
        row["decided"] += 1
        row["in_bundle"] += bundle_id is not None
        row["decided_in_time"] += due_on is None or day <= due_on
    return list(rows.values())
