"""Writes to document requests: the draft, its materials, and every step of the workflow. Each
status change goes through documents.workflow.request_transition."""

import datetime as dt
import hashlib
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.actions import audit_record, resident_id_number_bind
from accounts.models import AuditAction, User
from core.codes import random_code
from core.crypto import encrypt_text, pii_hmac
from core.idnumbers import mask_id_number, validate_id_number
from core.uploads import CheckedUpload, private_storage, store_private
from services.models import Office

from .. import workflow
from ..constants import CODE_ALPHABET, MaterialKind, Purpose, RequestStatus, Transition
from ..models import DocumentRequest, DocumentType, PendingDecision, RequestMaterial
from .errors import (
    DecisionPending,
    MaterialsMissing,
    NoPendingDecision,
    OfficeNotOffering,
    OwnProposal,
    ReasonRequired,
    RequestNotEditable,
    SecondFactorStale,
    TransitionNotAllowed,
)

MAX_MATERIALS = 12
EDITABLE = frozenset({RequestStatus.DRAFT})
ADDS_MATERIALS = frozenset({RequestStatus.DRAFT, RequestStatus.NEEDS_INFO})


def reference_new(doc_type: DocumentType, *, today: dt.date | None = None) -> str:
    """WFZ-2612-7KQ3MX: prefix, year and month, six random characters (not a sequence)."""
    today = today or timezone.localdate()
    tail = random_code(6, CODE_ALPHABET)
    return f"{doc_type.number_prefix}-{today:%y%m}-{tail}"


def second_factor_fresh(at: dt.datetime | None, *, now: dt.datetime | None = None) -> bool:
    if at is None:
        return False
    now = now or timezone.now()
    fresh = dt.timedelta(minutes=settings.DOCUMENTS["FRESH_SECOND_FACTOR_MINUTES"])
    return now - fresh <= at <= now + dt.timedelta(seconds=5)


def _person(id_number: str) -> tuple[str, str, str, str]:
    number = validate_id_number(id_number)
    return number, encrypt_text(number), pii_hmac(number), mask_id_number(number)


def _form_fields(*, applicant_name: str, applicant_id: str, holder_name: str = "",
                 holder_id: str = "", on_behalf: bool = False, **rest: Any) -> dict:
    _number, a_enc, a_hmac, a_mask = _person(applicant_id)
    if on_behalf:
        _holder, h_enc, h_hmac, h_mask = _person(holder_id)
    else:
        holder_name, h_enc, h_hmac, h_mask = applicant_name, a_enc, a_hmac, a_mask
    if rest.get("purpose") != Purpose.OTHER:
        rest["purpose_other"] = ""
    return {
        "applicant_name": applicant_name.strip(), "applicant_id_enc": a_enc,
        "applicant_id_hmac": a_hmac, "applicant_id_masked": a_mask, "on_behalf": on_behalf,
        "holder_name": holder_name.strip(), "holder_id_enc": h_enc, "holder_id_hmac": h_hmac,
        "holder_id_masked": h_mask, **rest,
    }


def _check_office(doc_type: DocumentType, office: Office) -> None:
    if not office.is_active or not office.services.filter(pk=doc_type.service_id).exists():
        raise OfficeNotOffering()


@transaction.atomic
def request_draft_create(
    *, doc_type: DocumentType, office: Office, user: User | None = None, api_client: str = "",
    language: str = "zh-hans",
    applicant_name: str, applicant_id: str, phone: str, email: str = "", on_behalf: bool = False,
    holder_name: str = "", holder_id: str = "", purpose: str = "", purpose_other: str = "",
    receiving_org: str = "", period_from: dt.date | None = None,
    period_to: dt.date | None = None,
) -> DocumentRequest:
    _check_office(doc_type, office)
    fields = _form_fields(
        applicant_name=applicant_name, applicant_id=applicant_id, holder_name=holder_name,
        holder_id=holder_id, on_behalf=on_behalf, purpose=purpose, purpose_other=purpose_other,
        receiving_org=receiving_org, period_from=period_from, period_to=period_to,
        phone=phone, email=email,
    )
    for _attempt in range(5):
        reference = reference_new(doc_type)
        if not DocumentRequest.objects.filter(reference=reference).exists():
            break
    req = DocumentRequest.objects.create(
        reference=reference, doc_type=doc_type, office=office, user=user, api_client=api_client,
        language=language, **fields,
    )
    audit_record(
        actor=user, action=AuditAction.CREATE, obj=req, subject_hmac=req.holder_id_hmac,
        actor_username="" if user else f"api:{api_client}",
    )
    return req


def _lock_own(request: DocumentRequest, actor: User, statuses: frozenset[str]) -> DocumentRequest:
    req = DocumentRequest.objects.select_for_update().get(pk=request.pk)
    if actor is not None and req.user_id != actor.pk:
        raise TransitionNotAllowed()
    if req.status not in statuses:
        raise RequestNotEditable()
    return req


@transaction.atomic
def request_draft_update(
    *, request: DocumentRequest, actor: User, office: Office | None = None, **form: Any
) -> DocumentRequest:
    """Change the draft's form (the same arguments as request_draft_create)."""
    req = _lock_own(request, actor, EDITABLE)
    if office is not None:
        _check_office(req.doc_type, office)
        req.office = office
    for name, value in _form_fields(**form).items():
        setattr(req, name, value)
    req.save()
    return req


@transaction.atomic
def material_add(
    *, request: DocumentRequest, actor: User, kind: str, checked: CheckedUpload
) -> RequestMaterial:
    """Store a checked upload (core.uploads.check_upload) with the request: while a draft, or
    while the reviewer waits for more information."""
    req = _lock_own(request, actor, ADDS_MATERIALS)
    spec = _material_spec(req, kind)
    if spec is None:
        raise ValueError(f"unknown material kind {kind!r}")
    if req.materials.count() >= MAX_MATERIALS:
        raise RequestNotEditable()
    name = store_private(checked, folder=f"documents/{req.pk}")
    try:
        with transaction.atomic():
            material = RequestMaterial.objects.create(
                request=req, kind=kind, file=name, original_name=checked.original_name,
                content_type=checked.content_type, size=len(checked.content),
                sha256=hashlib.sha256(checked.content).hexdigest(),
            )
    except Exception:
        private_storage.delete(name)
        raise
    if spec.get("max_files", 1) == 1:
        _drop_replaced(req, material)
    return material


# Each ID-card side and the authorisation is one file: a new upload replaces the one before
# (asked for a clearer photo, the resident sends it again), so it is listed and reviewed once.
# A configured material of at most one file behaves alike.
ONE_FILE_KINDS = frozenset(
    {MaterialKind.ID_FRONT, MaterialKind.ID_BACK, MaterialKind.AUTHORISATION}
)


def _material_spec(req: DocumentRequest, kind: str) -> dict | None:
    """The material's definition in the request's form version (the built-in kinds for a
    request made before forms were configured)."""
    if req.form_version is not None:
        return next((m for m in req.form_version.materials if m["kind"] == kind), None)
    if kind in MaterialKind.values:
        return {"kind": kind, "max_files": 1 if kind in ONE_FILE_KINDS else MAX_MATERIALS}
    return None


def material_kinds(req: DocumentRequest) -> list[tuple[str, str]]:
    """(kind, label) of the materials this request may carry, for the page's choice."""
    from ..definitions import localized

    if req.form_version is not None:
        return [(m["kind"], localized(m, "label")) for m in req.form_version.materials]
    return [(kind, str(label)) for kind, label in MaterialKind.choices]


def _drop_replaced(req: DocumentRequest, material: RequestMaterial) -> None:
    replaced = req.materials.filter(kind=material.kind).exclude(pk=material.pk)
    names = list(replaced.values_list("file", flat=True))
    replaced.delete()
    for name in names:
        transaction.on_commit(partial(private_storage.delete, name), robust=True)


@transaction.atomic
def material_remove(*, material: RequestMaterial, actor: User) -> None:
    _lock_own(material.request, actor, EDITABLE)
    name = material.file.name
    material.delete()
    transaction.on_commit(lambda: private_storage.delete(name), robust=True)


def materials_missing(req: DocumentRequest) -> list[str]:
    """The kinds of the required materials the request lacks (its form version's rules)."""
    have = set(req.materials.values_list("kind", flat=True))
    if req.form_version is not None:
        return [m["kind"] for m in req.form_version.materials if m["kind"] not in have and (
            m.get("required", "always") == "always"
            or (m.get("required") == "on_behalf" and req.on_behalf))]
    needed = [MaterialKind.ID_FRONT, MaterialKind.ID_BACK]
    if req.on_behalf:
        needed.append(MaterialKind.AUTHORISATION)
    return [kind for kind in needed if kind not in have]


@transaction.atomic
def request_submit(*, request: DocumentRequest, actor: User) -> DocumentRequest:
    """Submit the draft. A second click (the request is already submitted) changes nothing."""
    req = DocumentRequest.objects.select_for_update().get(pk=request.pk)
    if actor is not None and req.user_id != actor.pk:
        raise TransitionNotAllowed()
    if req.status != RequestStatus.DRAFT:
        return _refreshed(request, req)
    missing = materials_missing(req)
    if missing:
        labels = ", ".join(dict(material_kinds(req)).get(kind, kind) for kind in missing)
        raise MaterialsMissing(missing=labels)
    if actor is not None:
        from core.crypto import decrypt_text

        resident_id_number_bind(user=actor, id_number=decrypt_text(req.applicant_id_enc))
    workflow.request_transition(request=req, transition=Transition.SUBMIT, actor=actor)
    return _refreshed(request, req)


def _refreshed(request: DocumentRequest, locked: DocumentRequest) -> DocumentRequest:
    """The caller's instance, brought up to date with the locked copy that was changed."""
    if locked is not request:
        request.refresh_from_db()
    return request


def _close_open_decisions(req: DocumentRequest, outcome: str, actor: User | None = None) -> None:
    PendingDecision.objects.filter(request=req, closed_at__isnull=True).update(
        closed_at=timezone.now(), outcome=outcome
    )


@transaction.atomic
def request_withdraw(*, request: DocumentRequest, actor: User) -> DocumentRequest:
    req = workflow.request_transition(request=request, transition=Transition.WITHDRAW, actor=actor)
    _close_open_decisions(req, "void")
    return req


@transaction.atomic
def request_resubmit(*, request: DocumentRequest, actor: User, reply: str = "") -> DocumentRequest:
    return workflow.request_transition(
        request=request, transition=Transition.RESUBMIT, actor=actor, message=reply
    )


def _no_open_decision(req: DocumentRequest) -> None:
    if PendingDecision.objects.filter(request=req, closed_at__isnull=True).exists():
        raise DecisionPending()


@transaction.atomic
def request_start_review(*, request: DocumentRequest, actor: User) -> DocumentRequest:
    return workflow.request_transition(
        request=request, transition=Transition.START_REVIEW, actor=actor
    )


@transaction.atomic
def request_ask_info(*, request: DocumentRequest, actor: User, message: str) -> DocumentRequest:
    _no_open_decision(request)
    return workflow.request_transition(
        request=request, transition=Transition.REQUEST_INFO, actor=actor, message=message
    )


@transaction.atomic
def request_approve(
    *, request: DocumentRequest, actor: User, second_factor_at: dt.datetime | None
) -> DocumentRequest:
    """Approve (with a second factor entered in the last minutes) and prepare the certificate in
    the same transaction; its PDF is made by a task once this commits."""
    from .certificates import certificate_prepare

    if not second_factor_fresh(second_factor_at):
        raise SecondFactorStale()
    _no_open_decision(request)
    if request.doc_type.review_officers == 2:
        # The service is decided by two officers: this approval waits for a second one.
        decision_propose(request=request, actor=actor, transition=Transition.APPROVE, reason="")
        return request
    req = workflow.request_transition(request=request, transition=Transition.APPROVE, actor=actor)
    certificate_prepare(request=req)
    return req


# --- four eyes: a refusal or a revocation needs a second officer ---------------------------------

_PROPOSABLE: dict[str, str] = {
    Transition.APPROVE: RequestStatus.UNDER_REVIEW,  # services decided by two officers
    Transition.REJECT: RequestStatus.UNDER_REVIEW,
    Transition.REVOKE: RequestStatus.ISSUED,
}


@transaction.atomic
def decision_propose(
    *, request: DocumentRequest, actor: User, transition: str, reason: str
) -> PendingDecision:
    req = DocumentRequest.objects.select_for_update().get(pk=request.pk)
    if transition not in _PROPOSABLE or not workflow.may_ask(
        request=req, transition=transition, actor=actor
    ):
        raise TransitionNotAllowed()
    if req.status != _PROPOSABLE[transition]:
        from core.errors import IllegalTransition

        raise IllegalTransition()
    reason = (reason or "").strip()
    if not reason and transition != Transition.APPROVE:
        raise ReasonRequired()
    _no_open_decision(req)
    decision = PendingDecision.objects.create(
        request=req, transition=transition, reason=reason, proposed_by=actor
    )
    audit_record(
        actor=actor, action=AuditAction.CREATE, obj=decision, office_id=req.office_id,
        subject_hmac=req.holder_id_hmac, details={"transition": transition},
    )
    return decision


def _lock_open_decision(decision: PendingDecision, actor: User) -> PendingDecision:
    locked = (
        PendingDecision.objects.select_for_update().select_related("request")
        .filter(pk=decision.pk, closed_at__isnull=True).first()
    )
    if locked is None:
        raise NoPendingDecision()
    if not workflow.may_ask(request=locked.request, transition=locked.transition, actor=actor):
        raise TransitionNotAllowed()
    if locked.proposed_by_id == actor.pk:
        raise OwnProposal()
    return locked


@transaction.atomic
def decision_confirm(
    *, decision: PendingDecision, actor: User, second_factor_at: dt.datetime | None = None
) -> DocumentRequest:
    """The second officer confirms: the refusal or revocation takes effect now. Confirming a
    revocation asks for a fresh second factor."""
    locked = _lock_open_decision(decision, actor)
    fresh_needed = (Transition.REVOKE, Transition.APPROVE)
    if locked.transition in fresh_needed and not second_factor_fresh(second_factor_at):
        raise SecondFactorStale()
    locked.confirmed_by, locked.closed_at, locked.outcome = actor, timezone.now(), "confirmed"
    locked.save(update_fields=["confirmed_by", "closed_at", "outcome"])
    req = workflow.request_transition(
        request=decision.request, transition=locked.transition, actor=actor,
        message=locked.reason,
    )
    if locked.transition == Transition.REVOKE:
        from .certificates import certificate_revoke

        certificate_revoke(certificate=req.certificate, reason=locked.reason, actor=actor)
    if locked.transition == Transition.APPROVE:
        from .certificates import certificate_prepare

        certificate_prepare(request=req)
    return req


@transaction.atomic
def decision_decline(*, decision: PendingDecision, actor: User) -> PendingDecision:
    locked = _lock_open_decision(decision, actor)
    locked.closed_at, locked.outcome = timezone.now(), "declined"
    locked.save(update_fields=["closed_at", "outcome"])
    audit_record(
        actor=actor, action=AuditAction.CHANGE, obj=locked, office_id=locked.request.office_id,
        subject_hmac=locked.request.holder_id_hmac, details={"outcome": "declined"},
    )
    return locked


def request_read_record(
    *, request: DocumentRequest, actor: User, http_request: HttpRequest | None = None,
    what: str = "request",
) -> None:
    """A staff member looked at a request's personal data (or one of its materials)."""
    audit_record(
        actor=actor, action=AuditAction.VIEW, obj=request, subject_hmac=request.holder_id_hmac,
        request=http_request, details={"page": what},
    )
