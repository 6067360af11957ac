"""Statuses of document requests and certificates, and the one table of legal transitions.

`documents.workflow` is the only code that changes a request's status, and it refuses any change
this table does not list, whichever entry point (page, API, admin, task) asks for it."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.codes import UNAMBIGUOUS_ALPHABET

# Reference numbers and verification codes are read aloud and typed (core/codes.py).
CODE_ALPHABET = UNAMBIGUOUS_ALPHABET


class RequestStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("document request", "Draft")
    SUBMITTED = "submitted", pgettext_lazy("document request", "Submitted")
    UNDER_REVIEW = "under_review", pgettext_lazy("document request", "Under review")
    NEEDS_INFO = "needs_info", pgettext_lazy("document request", "More information needed")
    RESUBMITTED = "resubmitted", pgettext_lazy("document request", "Resubmitted")
    APPROVED = "approved", pgettext_lazy("document request", "Approved")
    ISSUED = "issued", pgettext_lazy("document request", "Issued")
    REJECTED = "rejected", pgettext_lazy("document request", "Refused")
    WITHDRAWN = "withdrawn", pgettext_lazy("document request", "Withdrawn")
    REVOKED = "revoked", pgettext_lazy("document request", "Certificate revoked")


class Transition(models.TextChoices):
    SUBMIT = "submit", _("submit")
    START_REVIEW = "start_review", _("start the review")
    REQUEST_INFO = "request_info", _("ask for more information")
    RESUBMIT = "resubmit", _("resubmit")
    APPROVE = "approve", _("approve")
    ISSUE = "issue", _("issue the certificate")
    REJECT = "reject", _("refuse")
    WITHDRAW = "withdraw", _("withdraw")
    REVOKE = "revoke", _("revoke the certificate")


S = RequestStatus
# transition -> (the statuses it may start from, the status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    Transition.SUBMIT: (frozenset({S.DRAFT}), S.SUBMITTED),
    Transition.START_REVIEW: (frozenset({S.SUBMITTED, S.RESUBMITTED}), S.UNDER_REVIEW),
    Transition.REQUEST_INFO: (frozenset({S.UNDER_REVIEW}), S.NEEDS_INFO),
    Transition.RESUBMIT: (frozenset({S.NEEDS_INFO}), S.RESUBMITTED),
    Transition.APPROVE: (frozenset({S.UNDER_REVIEW}), S.APPROVED),
    Transition.ISSUE: (frozenset({S.APPROVED}), S.ISSUED),
    Transition.REJECT: (frozenset({S.UNDER_REVIEW}), S.REJECTED),
    Transition.WITHDRAW: (
        frozenset({S.DRAFT, S.SUBMITTED, S.UNDER_REVIEW, S.NEEDS_INFO, S.RESUBMITTED}),
        S.WITHDRAWN,
    ),
    Transition.REVOKE: (frozenset({S.ISSUED}), S.REVOKED),
}

# Who may ask for each transition: the resident (owner of the request), staff, or the system.
RESIDENT_TRANSITIONS = frozenset({Transition.SUBMIT, Transition.RESUBMIT, Transition.WITHDRAW})
STAFF_TRANSITIONS = frozenset(
    {Transition.START_REVIEW, Transition.REQUEST_INFO, Transition.APPROVE, Transition.REJECT,
     Transition.REVOKE}
)
SYSTEM_TRANSITIONS = frozenset({Transition.ISSUE})
# These need a second officer's confirmation before they take effect.
CONFIRMED_TRANSITIONS = frozenset({Transition.REJECT, Transition.REVOKE})

# The time limit runs in these statuses; it is paused while the resident is asked for more.
CLOCK_RUNNING = frozenset({S.SUBMITTED, S.UNDER_REVIEW, S.RESUBMITTED})
OPEN_STATUSES = frozenset({S.SUBMITTED, S.UNDER_REVIEW, S.NEEDS_INFO, S.RESUBMITTED})
DECIDED_STATUSES = frozenset({S.APPROVED, S.ISSUED, S.REJECTED, S.REVOKED})


class Purpose(models.TextChoices):
    EMPLOYMENT = "employment", _("Employment")
    STUDY_ABROAD = "study_abroad", _("Study abroad")
    VISA = "visa", _("Visa")
    ADOPTION = "adoption", _("Adoption")
    OTHER = "other", _("Other")


class MaterialKind(models.TextChoices):
    ID_FRONT = "id_front", _("ID card, front")
    ID_BACK = "id_back", _("ID card, back")
    AUTHORISATION = "authorisation", _("Signed authorisation")
    OTHER = "other", _("Other material")


class Outcome(models.TextChoices):
    CERTIFICATE = "certificate", _("A certificate (PDF with QR code, verifiable online)")
    LETTER = "letter", _("A decision letter (PDF)")
    COUNTER = "counter", _("Collect at the counter, with a booking")


class CertificateStatus(models.TextChoices):
    VALID = "valid", pgettext_lazy("certificate", "Valid")
    REVOKED = "revoked", pgettext_lazy("certificate", "Revoked")


class CheckResult(models.TextChoices):
    VALID = "valid", pgettext_lazy("verification", "Valid")
    EXPIRED = "expired", pgettext_lazy("verification", "Expired")
    REVOKED = "revoked", pgettext_lazy("verification", "Revoked")
    NOT_FOUND = "not_found", pgettext_lazy("verification", "Not found")


class CheckChannel(models.TextChoices):
    WEB = "web", _("verification page")
    QR = "qr", _("QR code")
    API = "api", _("API")
