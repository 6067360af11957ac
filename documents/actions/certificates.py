"""Certificates: prepared when a request is approved, issued once as a signed PDF, verified by
anyone with the number and the code (or the QR), revoked after a confirmed decision.

The verification code and where it lives
----------------------------------------
The code is 28 characters of CODE_ALPHABET (31 symbols, log2(31) ≈ 4.95 bits each: 138 random
bits from `secrets`), printed in seven groups of four. The database keeps only its SHA-256
(domain-separated), like a password: someone who copies the database cannot verify, or forge a
verification of, any certificate. With 138 random bits there is nothing to brute-force, so a key
would add no strength; it would only tie every certificate ever issued to one key (rotating
PII_HMAC_KEY with `rotate_keys --hmac` recomputes digests from decrypted values, which a code
that is never stored cannot have), and a lost or rotated key would make all of them "not found".

The code must still reach the PDF, which is rendered later by a Celery task. Between
`certificate_prepare` (inside the approval's transaction) and the PDF being stored, the code waits
in `Certificate.code_enc`, encrypted with the field key (AES-256-GCM, core/crypto.py) together
with the certificate number (a ciphertext moved to another row does not decrypt to that row's
number). The same conditional UPDATE that stores the PDF empties `code_enc`, so afterwards the
code exists only in the PDF the holder received (and in the QR on it). We chose this over
deriving the code from a server secret: a derived code could be recomputed for every certificate,
past and future, by anyone who ever learnt that one secret; a code in transit is exposed only
while its PDF is being made (seconds), and only to someone holding both the database and the
field key. A lost PDF is downloaded again from the stored copy; the code is never re-issued.

Exactly once
------------
`certificate_generate_pdf` renders and signs outside any transaction (slow), then in one
transaction sets the PDF with `UPDATE … WHERE pdf = ''` and applies the ISSUE transition. Two
runs at once, or a run repeated after a worker died, find the PDF already set and stop: one PDF,
one ISSUE, one notification (the notification claims the certificate row under a lock and records
`notified_at`). A worker that dies before the commit leaves nothing behind but an orphan file,
which the next run deletes when it loses (or never sees, if the process was killed: harmless in
private storage).
"""

import datetime as dt
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.actions import audit_record
from accounts.models import AuditAction, User
from core import signing
from core.codes import random_code
from core.crypto import decrypt_text, encrypt_text
from core.links import site_reverse
from core.outbox import outbox_enqueue
from core.uploads import private_storage
from notifications.actions import DeliveryFailed, message_send
from notifications.models import Channel, Message, MessageStatus

from .. import workflow
from ..constants import (
    CODE_ALPHABET,
    CertificateStatus,
    CheckChannel,
    CheckResult,
    Purpose,
    Transition,
)
from ..models import Certificate, CertificateCheck, DocumentRequest

logger = logging.getLogger(__name__)

CODE_LENGTH = 28  # 28 × log2(31) ≈ 138.7 bits
CODE_GROUP = 4
NUMBER_DIGITS = 8
NOTIFY_KIND = "certificate_issued"


# --- numbers, codes, masks -----------------------------------------------------------------------


def code_generate() -> str:
    return random_code(CODE_LENGTH, CODE_ALPHABET)


def code_format(code: str) -> str:
    """`K7M3 9QXA …`: groups of four, as printed and read aloud."""
    return " ".join(code[i : i + CODE_GROUP] for i in range(0, len(code), CODE_GROUP))


def code_normalize(text: str) -> str:
    """What a verifier typed, without spaces or dashes, in capitals."""
    return "".join(ch for ch in (text or "").upper() if ch.isalnum())


def code_digest(code: str) -> str:
    return hashlib.sha256(f"onewindow-certificate-code:v1:{code}".encode()).hexdigest()


def number_normalize(text: str) -> str:
    return "".join(ch for ch in (text or "").upper() if ch.isalnum() or ch == "-")


def name_mask(name: str) -> str:
    """张*三, 张*, J********h: the first and last character and the length, nothing else. The
    verifier holds the certificate and can match it; a list of masked names reveals little."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def _number_new(prefix: str, day: dt.date) -> str:
    digits = random_code(NUMBER_DIGITS, "0123456789")
    return f"{prefix}-{day.year}-{digits}"


def _purpose_text(req: DocumentRequest) -> str:
    if req.purpose == Purpose.OTHER or not req.purpose:
        return req.purpose_other[:120]
    with translation.override("zh-hans"):
        zh = str(Purpose(req.purpose).label)
    with translation.override("en"):
        en = str(Purpose(req.purpose).label)
    return zh if zh == en else f"{zh} / {en}"


# --- preparing, at approval --------------------------------------------------------------------


@transaction.atomic
def certificate_prepare(*, request: DocumentRequest) -> Certificate:
    """Create the certificate of an approved request and have its PDF made after commit.
    Called inside the approval's transaction; a second call returns the same certificate."""
    existing = Certificate.objects.filter(request=request).first()
    if existing is not None:
        return existing
    today = timezone.localdate()
    code = code_generate()
    doc_type = request.doc_type
    for _attempt in range(5):
        number = _number_new(doc_type.number_prefix, today)
        try:
            with transaction.atomic():
                certificate = Certificate.objects.create(
                    request=request,
                    number=number,
                    code_hash=code_digest(code),
                    code_enc=encrypt_text(f"{number}:{code}"),
                    doc_type=doc_type,
                    office=request.office,
                    holder_name=request.holder_name,
                    holder_id_masked=request.holder_id_masked,
                    purpose_text=_purpose_text(request),
                    receiving_org=request.receiving_org,
                    period_from=request.period_from,
                    period_to=request.period_to,
                    issued_on=today,
                    valid_until=today + relativedelta(months=doc_type.validity_months),
                )
            break
        except IntegrityError:
            if Certificate.objects.filter(request=request).exists():
                raise
    else:  # pragma: no cover - 10^8 numbers a year
        raise RuntimeError("no free certificate number")
    audit_record(
        actor=None, actor_username="system", action=AuditAction.CREATE, obj=certificate,
        subject_hmac=request.holder_id_hmac, details={"number": certificate.number},
    )
    _generate_after_commit(certificate.pk)
    return certificate


def _generate_after_commit(certificate_id: int) -> None:
    # An outbox row in the approval's transaction: a broker outage delays the PDF, never loses it.
    outbox_enqueue("documents.tasks.certificate_generate", certificate_id, key=str(certificate_id))


# --- issuing: the PDF, exactly once --------------------------------------------------------------


def certificate_code_in_transit(certificate: Certificate) -> str:
    number, _sep, code = decrypt_text(certificate.code_enc).partition(":")
    if number != certificate.number or len(code) != CODE_LENGTH:
        raise ValueError(f"code in transit does not belong to {certificate.number}")
    return code


def certificate_generate_pdf(*, certificate_id: int) -> Certificate:
    """Render, sign and store the PDF, then issue; a repeated or concurrent run changes nothing
    (and makes sure the holder is told)."""
    from ..certificate_pdf import certificate_pdf

    certificate = Certificate.objects.select_related("doc_type", "office", "request").get(
        pk=certificate_id
    )
    if certificate.pdf:
        _notify_unless_done(certificate)
        return certificate
    pdf = certificate_pdf(certificate, code=certificate_code_in_transit(certificate))
    name = private_storage.save(
        f"certificates/{certificate.number}-{secrets.token_hex(8)}.pdf", ContentFile(pdf)
    )
    try:
        issued = _issue(certificate, name=name, pdf=pdf)
    except BaseException:
        private_storage.delete(name)
        raise
    if not issued:
        private_storage.delete(name)
    certificate.refresh_from_db()
    return certificate


@transaction.atomic
def _issue(certificate: Certificate, *, name: str, pdf: bytes) -> bool:
    claimed = Certificate.objects.filter(pk=certificate.pk, pdf="").update(
        pdf=name,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        pdf_generated_at=timezone.now(),
        code_enc="",
    )
    if not claimed:
        return False
    workflow.request_transition(
        request=certificate.request, transition=Transition.ISSUE, actor=None
    )
    _notify_after_commit(certificate.pk)
    return True


# --- telling the holder ----------------------------------------------------------------------


def _notify_after_commit(certificate_id: int) -> None:
    # Keyed by certificate: issued twice or re-run, the holder is told once.
    outbox_enqueue("documents.tasks.certificate_notify", certificate_id, key=str(certificate_id))


def _notify_unless_done(certificate: Certificate) -> None:
    if certificate.notified_at is None:
        _notify_after_commit(certificate.pk)


def _issued_texts(certificate: Certificate, req: DocumentRequest) -> tuple[str, str, str]:
    from .notify import request_page_url

    values = {
        "doc": certificate.doc_type.name,
        "number": certificate.number,
        "until": certificate.valid_until.isoformat(),
        "url": request_page_url(req),
    }
    subject = _("Your certificate %(number)s is ready") % values
    sms = _(
        "Your %(doc)s has been issued: number %(number)s, valid until %(until)s. "
        "Download it at %(url)s"
    ) % values
    body = "\n\n".join(
        [
            f"{req.applicant_name}:",
            _(
                "Your %(doc)s has been issued. Number: %(number)s. Valid until: %(until)s. "
                "The signed PDF is attached; you can download it again at %(url)s"
            ) % values,
            _(
                "Whoever receives the certificate can check it at the address printed on it, "
                "with its number and verification code. Keep the code to yourself until then."
            ),
        ]
    )
    return subject, sms, body + "\n"


def certificate_notify(*, certificate_id: int) -> list[Message]:
    """SMS and e-mail (with the PDF) to the applicant, once: the row lock makes a second run
    wait and then find `notified_at` set; a channel already sent is not sent again on retry."""
    failed: list[str] = []
    with transaction.atomic():
        certificate = (
            Certificate.objects.select_for_update()
            .select_related("doc_type", "request")
            .get(pk=certificate_id)
        )
        if certificate.notified_at is not None or not certificate.pdf:
            return []
        req = certificate.request
        with translation.override(req.language):
            subject, sms, body = _issued_texts(certificate, req)
        sent = []
        for channel, to, attach in (
            (Channel.SMS, req.phone, False),
            (Channel.EMAIL, req.email, True),
        ):
            if not to or _already_sent(channel=channel, ref=certificate.number):
                continue
            files = [(f"{certificate.number}.pdf", _pdf_bytes(certificate), "application/pdf")]
            message = message_send(
                channel=channel, to=to, subject=subject if channel == Channel.EMAIL else "",
                body=sms if channel == Channel.SMS else body, kind=NOTIFY_KIND,
                ref=certificate.number, attachments=files if attach else (),
            )
            sent.append(message)
            if message.status == MessageStatus.FAILED:
                failed.append(channel)
        if not failed:
            now = timezone.now()
            Certificate.objects.filter(pk=certificate.pk).update(notified_at=now)
            # The rating invitation after the issue notice, never before it (once per request).
            workflow.request_invite_evaluation(req, now)
    if failed:  # outside the transaction: the outbox keeps what was sent
        raise DeliveryFailed(f"{NOTIFY_KIND} {certificate.number}: {', '.join(failed)}")
    return sent


def _already_sent(*, channel: str, ref: str) -> bool:
    return Message.objects.filter(
        channel=channel, kind=NOTIFY_KIND, ref=ref, status=MessageStatus.SENT
    ).exists()


def _pdf_bytes(certificate: Certificate) -> bytes:
    with private_storage.open(certificate.pdf.name, "rb") as handle:
        return handle.read()


# --- revoking ------------------------------------------------------------------------------------


@transaction.atomic
def certificate_revoke(*, certificate: Certificate, reason: str, actor: User) -> Certificate:
    """Mark the certificate revoked (docs's confirmed revocation calls this next to the REVOKE
    transition); verification says "revoked" from now on."""
    locked = Certificate.objects.select_for_update().get(pk=certificate.pk)
    if locked.status == CertificateStatus.REVOKED:
        return locked
    locked.status = CertificateStatus.REVOKED
    locked.revoked_at = timezone.now()
    locked.revoked_reason = reason
    locked.save(update_fields=["status", "revoked_at", "revoked_reason"])
    audit_record(
        actor=actor, action=AuditAction.STATUS_CHANGE, obj=locked,
        details={"number": locked.number, "to": CertificateStatus.REVOKED},
    )
    certificate.refresh_from_db()
    return locked


# --- verifying ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    status: str  # a CheckResult value
    essentials: dict = field(default_factory=dict)  # empty unless found

    @property
    def found(self) -> bool:
        return self.status != CheckResult.NOT_FOUND


def certificate_essentials(certificate: Certificate) -> dict:
    """What a verifier may see: masked, and nothing beyond what the certificate shows."""
    return {
        "number": certificate.number,
        "document_type": certificate.doc_type.name,
        "document_type_zh": certificate.doc_type.name_zh,
        "document_type_en": certificate.doc_type.name_en,
        "holder_name": name_mask(certificate.holder_name),
        "holder_id": certificate.holder_id_masked,
        "issued_on": certificate.issued_on,
        "valid_until": certificate.valid_until,
        "office": certificate.office.name,
    }


def _result(certificate: Certificate | None, code: str) -> str:
    # The digest is computed either way, and compared in constant time.
    digest = code_digest(code)
    if certificate is None or not certificate.pdf:
        return CheckResult.NOT_FOUND
    if not hmac.compare_digest(certificate.code_hash, digest):
        return CheckResult.NOT_FOUND
    if certificate.status == CertificateStatus.REVOKED:
        return CheckResult.REVOKED
    if timezone.localdate() > certificate.valid_until:
        return CheckResult.EXPIRED
    return CheckResult.VALID


@transaction.atomic
def certificate_verify(*, number: str, code: str, channel: str) -> Verification:
    """Check a number + code and record the check (channel and result only: nothing about who
    asked). A wrong code answers "not found", as an unknown number does."""
    number, code = number_normalize(number)[:30], code_normalize(code)[:64]
    certificate = (
        Certificate.objects.select_related("doc_type", "office").filter(number=number).first()
        if number else None
    )
    status = _result(certificate, code)
    CertificateCheck.objects.create(certificate=certificate, channel=channel, result=status)
    if status == CheckResult.NOT_FOUND or certificate is None:
        return Verification(status=status)
    return Verification(status=status, essentials=certificate_essentials(certificate))


def certificate_payload(certificate: Certificate, *, code: str) -> str:
    """The signed QR payload: number, code, issue date, validity."""
    return signing.sign_payload(
        [certificate.number, code, f"{certificate.issued_on:%Y%m%d}",
         f"{certificate.valid_until:%Y%m%d}"]
    )


def certificate_verify_url(certificate: Certificate, *, code: str, language: str) -> str:
    payload = certificate_payload(certificate, code=code)
    return site_reverse("verify:qr", args=[payload], language=language)


def certificate_verify_qr(*, payload: str) -> Verification:
    """A scanned QR: its signature first (a changed number, code or date fails here, as it would
    offline), then the same check as a typed number + code."""
    try:
        number, code, issued, valid_until = signing.verify_payload(payload)
    except (signing.BadPayload, ValueError):
        CertificateCheck.objects.create(
            certificate=None, channel=CheckChannel.QR, result=CheckResult.NOT_FOUND
        )
        return Verification(status=CheckResult.NOT_FOUND)
    return certificate_verify(number=number, code=code, channel=CheckChannel.QR)
