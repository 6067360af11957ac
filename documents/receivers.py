"""documents' answers to the residents' account events of accounts/signals.py. Connected in
DocumentsConfig.ready().

A deleted account withdraws its requests that are still open (nobody could be told the outcome)
and is unlinked from the rest (`user` is SET_NULL): decided requests and certificates are records
the bureau must keep for their retention period (settings.RETENTION["DOCUMENT_DAYS"]), after
which `documents.actions.retention` purges them."""

from django.dispatch import receiver

from accounts.actions import resident_deleting
from accounts.selectors import export_time, resident_data_requested
from feedback.actions import evaluation_anonymise_for_subjects, request_subject_ref
from feedback.selectors import evaluation_data_for_subjects

from . import selectors
from .actions import request_withdraw
from .constants import TRANSITIONS, Transition


@receiver(resident_deleting, dispatch_uid="documents.withdraw_resident_requests")
def withdraw_open_requests(sender, *, user, **kwargs) -> int:
    withdrawable, _target = TRANSITIONS[Transition.WITHDRAW]
    open_requests = selectors.request_list_for_resident(user).filter(status__in=withdrawable)
    for req in open_requests:
        request_withdraw(request=req, actor=user)
    return len(open_requests)


@receiver(resident_deleting, dispatch_uid="documents.anonymise_resident_request_ratings")
def anonymise_ratings(sender, *, user, **kwargs) -> int:
    return evaluation_anonymise_for_subjects(subject_refs=_subjects(user))


def _subjects(user) -> list[str]:
    ids = selectors.request_list_for_resident(user).values_list("pk", flat=True)
    return [request_subject_ref(pk) for pk in ids]


@receiver(resident_data_requested, dispatch_uid="documents.resident_requests_export")
def requests_export(sender, *, user, **kwargs) -> dict:
    requests = selectors.request_list_for_resident(user)
    ratings = evaluation_data_for_subjects(subject_refs=_subjects(user))
    return {
        "document_requests": [
            {**_request_data(r), "evaluation": ratings.get(request_subject_ref(r.pk))}
            for r in requests
        ]
    }



def _request_data(req) -> dict:
    certificate = getattr(req, "certificate", None)
    return {
        "reference": req.reference,
        "document": req.doc_type.name,
        "office": req.office.name,
        "status": req.status,
        "holder": req.holder_name,
        "holder_id_number_masked": req.holder_id_masked,
        "on_behalf": req.on_behalf,
        "purpose": req.purpose,
        "purpose_other": req.purpose_other,
        "receiving_organisation": req.receiving_org,
        "mobile_number": req.phone,
        "email": req.email,
        "created_at": export_time(req.created_at),
        "submitted_at": export_time(req.submitted_at),
        "decided_at": export_time(req.decided_at),
        "decision_reason": req.decision_reason,
        "certificate": None if certificate is None else {
            "number": certificate.number,
            "issued_on": certificate.issued_on.isoformat(),
            "valid_until": certificate.valid_until.isoformat(),
            "status": certificate.status,
            "checked_at": [export_time(c.at) for c in certificate.checks.all()],
        },
    }
