"""The one module that changes a document request's status.

`request_transition` locks the request, refuses anything the transition table
(constants.TRANSITIONS) does not list or the actor may not ask for, sets the timestamps, moves the
deadline clock, writes the request's history (RequestEvent) and the audit entry, and tells the
resident once the transaction commits. Pages, the API, the admin and the tasks all come here,
through the actions in documents/actions/.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from accounts.actions import audit_record
from accounts.models import AuditAction
from accounts.selectors import office_ids_with_perm
from core.errors import IllegalTransition
from core.outbox import outbox_enqueue
from feedback.actions import evaluation_invite, request_subject_ref

from . import deadlines
from .actions.errors import MessageRequired, ReasonRequired, TransitionNotAllowed
from .constants import (
    RESIDENT_TRANSITIONS,
    STAFF_TRANSITIONS,
    SYSTEM_TRANSITIONS,
    TRANSITIONS,
    Transition,
)
from .models import DocumentRequest, RequestEvent

STAFF_PERM = "documents.change_documentrequest"
# The resident hears about these (ISSUE is told by the certificate task, with the PDF).
NOTIFIED = frozenset(
    {Transition.SUBMIT, Transition.REQUEST_INFO, Transition.APPROVE, Transition.REJECT,
     Transition.WITHDRAW, Transition.REVOKE}
)
FIELDS = [
    "status", "submitted_at", "due_on", "paused_at", "escalated_at", "reviewer", "info_request",
    "decided_at", "decided_by", "decision_reason", "updated_at",
]


def may_ask(*, request: DocumentRequest, transition: str, actor) -> bool:
    """Whether `actor` may ask for `transition` on `request` (whatever its status)."""
    if transition in RESIDENT_TRANSITIONS:
        if actor is None:  # an integrating platform acting for the resident (the API)
            return bool(request.api_client)
        return request.user_id is not None and actor.pk == request.user_id
    if transition in STAFF_TRANSITIONS:
        if actor is None or not getattr(actor, "is_authenticated", False):
            return False
        ids = office_ids_with_perm(actor, STAFF_PERM)
        return ids is None or request.office_id in ids
    return transition in SYSTEM_TRANSITIONS and actor is None


def request_transition(
    *, request: DocumentRequest, transition: str, actor, message: str = ""
) -> DocumentRequest:
    """Apply one transition, or raise IllegalTransition (or a subclass) and change nothing."""
    if transition not in TRANSITIONS:
        raise IllegalTransition()
    with transaction.atomic():
        locked = (
            DocumentRequest.objects.select_for_update().select_related("doc_type")
            .get(pk=request.pk)
        )
        if not may_ask(request=locked, transition=transition, actor=actor):
            raise TransitionNotAllowed()
        sources, target = TRANSITIONS[transition]
        if locked.status not in sources:
            raise IllegalTransition()
        message = (message or "").strip()
        previous = locked.status
        now = timezone.now()
        _EFFECTS.get(transition, _nothing)(locked, actor, message, now)
        locked.status = target
        locked.save(update_fields=FIELDS)
        _record(locked, transition, previous, actor, message)
        if transition in NOTIFIED:
            _notify_after_commit(locked.pk, transition)
        if transition in EVALUATED:
            request_invite_evaluation(locked, now)
    if locked is not request:
        request.refresh_from_db()
    return request


# --- what each transition does besides the status ----------------------------------------------


def _nothing(req: DocumentRequest, actor, message: str, now: dt.datetime) -> None:
    return None


def _submit(req: DocumentRequest, actor, message: str, now: dt.datetime) -> None:
    req.submitted_at = now
    req.due_on = deadlines.due_on_submit(
        day=timezone.localdate(now), limit_days=req.doc_type.time_limit_days
    )


def _start_review(req: DocumentRequest, actor, message: str, now: dt.datetime) -> None:
    req.reviewer = actor


def _request_info(req: DocumentRequest, actor, message: str, now: dt.datetime) -> None:
    if not message:
        raise MessageRequired()
    req.info_request = message
    req.paused_at = now
    req.reviewer = actor


def _resubmit(req: DocumentRequest, actor, message: str, now: dt.datetime) -> None:
    if req.paused_at is not None and req.due_on is not None:
        req.due_on = deadlines.due_after_pause(
            due_on=req.due_on,
            paused_on=timezone.localdate(req.paused_at),
            resumed_on=timezone.localdate(now),
        )
    req.paused_at = None
    req.escalated_at = None  # a new run of the clock: escalate again if it runs late


def _decide(req: DocumentRequest, actor, message: str, now: dt.datetime) -> None:
    req.decided_at, req.decided_by = now, actor


def _reject(req: DocumentRequest, actor, message: str, now: dt.datetime) -> None:
    if not message:
        raise ReasonRequired()
    _decide(req, actor, message, now)
    req.decision_reason = message


def _withdraw(req: DocumentRequest, actor, message: str, now: dt.datetime) -> None:
    req.paused_at = None


def _revoke(req: DocumentRequest, actor, message: str, now: dt.datetime) -> None:
    if not message:
        raise ReasonRequired()
    req.decision_reason = message


_EFFECTS = {
    Transition.SUBMIT: _submit,
    Transition.START_REVIEW: _start_review,
    Transition.REQUEST_INFO: _request_info,
    Transition.RESUBMIT: _resubmit,
    Transition.APPROVE: _decide,
    Transition.REJECT: _reject,
    Transition.WITHDRAW: _withdraw,
    Transition.REVOKE: _revoke,
}


# A decided request is one the resident can rate (好差评): refused here; issued once the holder
# has been told the certificate is ready (actions.certificates.certificate_notify), so the
# invitation never arrives before "证明已签发".
EVALUATED = frozenset({Transition.REJECT})


def request_invite_evaluation(req: DocumentRequest, now: dt.datetime) -> None:
    evaluation_invite(
        kind="document", office=req.office, service=req.doc_type.service,
        subject_ref=request_subject_ref(req.pk), phone=req.phone, email=req.email,
        language=req.language, visit_at=now, now=now,
    )


def _record(req: DocumentRequest, transition: str, previous: str, actor, message: str) -> None:
    RequestEvent.objects.create(
        request=req, actor=actor, transition=transition, from_status=previous,
        to_status=req.status, message=message,
    )
    audit_record(
        actor=actor,
        action=AuditAction.STATUS_CHANGE,
        obj=req,
        subject_hmac=req.holder_id_hmac,
        actor_username="" if actor else (f"api:{req.api_client}" if req.api_client else "system"),
        details={"transition": transition, "from": previous, "to": req.status},
    )


def _notify_after_commit(request_id: int, transition: str) -> None:
    outbox_enqueue("documents.tasks.request_notify", request_id, transition)
