"""Preparing and issuing certificates (documents/actions/certificates.py): the number, the code
that is never stored, the holder's essentials copied masked, and the PDF read back."""

import datetime as dt
import io
import math

import pdfplumber
import pytest
import time_machine
from django.utils import timezone, translation

from core import signing
from core.crypto import pii_hmac
from documents.actions import certificates as actions
from documents.constants import CODE_ALPHABET, CertificateStatus, Purpose, RequestStatus
from documents.models import Certificate
from notifications.models import Message

from .certificate_helpers import issued, prepared, qr_texts, signing_keys, stored_pdf  # noqa: F401
from .factories import ID_NUMBER

pytestmark = pytest.mark.django_db


def test_the_code_has_at_least_128_random_bits_from_the_alphabet():
    code = actions.code_generate()
    assert len(code) == actions.CODE_LENGTH
    assert set(code) <= set(CODE_ALPHABET)
    assert actions.CODE_LENGTH * math.log2(len(CODE_ALPHABET)) >= 128
    assert len({actions.code_generate() for _i in range(200)}) == 200
    assert actions.code_format("ABCD" * 7) == " ".join(["ABCD"] * 7)
    assert actions.code_normalize(" abcd-efgh ijkm ") == "ABCDEFGHIJKM"


@pytest.mark.parametrize("name, masked", [("张三", "张*"), ("张小三", "张*三"),
                                          ("欧阳小明", "欧**明"), ("王", "王")])
def test_names_are_masked_to_first_and_last_character(name, masked):
    assert actions.name_mask(name) == masked


def test_prepare_copies_the_essentials_and_stores_only_a_keyed_hash(
    django_capture_on_commit_callbacks, signing_keys
):
    certificate, code = prepared(django_capture_on_commit_callbacks, receiving_org="星城一中")
    assert certificate.number.startswith(f"WFZ-{timezone.localdate().year}-")
    assert certificate.holder_name == "张三"
    assert certificate.holder_id_masked == "430***********1234"[:3] + "*" * 11 + ID_NUMBER[-4:]
    assert certificate.receiving_org == "星城一中"
    with translation.override("zh-hans"):
        zh = str(Purpose.EMPLOYMENT.label)
    assert certificate.purpose_text in (f"{zh} / Employment", "Employment")
    assert certificate.code_hash == pii_hmac("certificate-code:" + code)
    stored = Certificate.objects.filter(pk=certificate.pk).values().get()
    assert not any(code in str(value) for value in stored.values())
    assert ID_NUMBER not in str(stored)
    assert certificate.valid_until == certificate.issued_on + dt.timedelta(
        days=(certificate.valid_until - certificate.issued_on).days
    )
    assert 89 <= (certificate.valid_until - certificate.issued_on).days <= 92  # 3 months


def test_validity_follows_the_document_type(django_capture_on_commit_callbacks, signing_keys):
    from .factories import DocumentTypeFactory

    with time_machine.travel(dt.datetime(2026, 11, 30, 10, tzinfo=dt.UTC)):
        certificate, _code = prepared(
            django_capture_on_commit_callbacks, doc_type=DocumentTypeFactory(validity_months=6)
        )
    assert (certificate.issued_on, certificate.valid_until) == (
        dt.date(2026, 11, 30), dt.date(2027, 5, 30)
    )


def test_prepare_twice_gives_the_same_certificate_and_enqueues_the_pdf_once(
    django_capture_on_commit_callbacks, signing_keys
):
    certificate, _code = prepared(django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        again = actions.certificate_prepare(request=certificate.request)
    assert again.pk == certificate.pk and callbacks == []


def test_issue_stores_a_signed_pdf_clears_the_code_and_issues_the_request(
    django_capture_on_commit_callbacks, signing_keys
):
    certificate, code = issued(django_capture_on_commit_callbacks)
    certificate.refresh_from_db()
    assert certificate.pdf and certificate.code_enc == ""
    assert certificate.request.status == RequestStatus.ISSUED
    assert certificate.request.events.filter(transition="issue").count() == 1
    pdf = stored_pdf(certificate)
    import hashlib

    assert certificate.pdf_sha256 == hashlib.sha256(pdf).hexdigest()
    check = signing.pades_check(pdf)
    assert check.intact and check.valid and check.trusted and check.untouched


def test_the_pdf_reads_back_with_name_number_masked_id_and_a_qr_to_the_check(
    django_capture_on_commit_callbacks, signing_keys
):
    certificate, code = issued(django_capture_on_commit_callbacks)
    pdf = stored_pdf(certificate)
    if dump := __import__("os").environ.get("CERTS_DUMP"):
        __import__("pathlib").Path(dump).write_bytes(pdf)
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        assert len(document.pages) == 1
        page = document.pages[0]
        assert (page.width, page.height) == pytest.approx((595.3, 841.9), abs=1)  # A4
        text = page.extract_text()
    compact = text.replace(" ", "")
    assert "张三" in text
    assert certificate.number in text
    assert certificate.holder_id_masked in text
    assert ID_NUMBER not in compact
    assert "无犯罪记录证明" in compact and "No-criminal-record certificate" in text
    assert "经查，未发现有犯罪记录。" in compact and "No criminal record was found." in text
    assert actions.code_format(code).replace(" ", "") in compact

    [link] = qr_texts(pdf)
    assert link.startswith("http://127.0.0.1:8000/zh-hans/verify/q/")
    payload = link.rstrip("/").rsplit("/", 1)[1]
    assert signing.verify_payload(payload) == [
        certificate.number, code, f"{certificate.issued_on:%Y%m%d}",
        f"{certificate.valid_until:%Y%m%d}",
    ]


def test_the_holder_is_told_once_by_sms_and_by_email_with_the_pdf(
    django_capture_on_commit_callbacks, signing_keys, mailoutbox
):
    certificate, _code = issued(django_capture_on_commit_callbacks)
    messages = Message.objects.filter(kind=actions.NOTIFY_KIND, ref=certificate.number)
    assert sorted(messages.values_list("channel", flat=True)) == ["email", "sms"]
    [mail] = mailoutbox
    [(name, content, mimetype)] = mail.attachments
    assert (name, mimetype) == (f"{certificate.number}.pdf", "application/pdf")
    assert content == stored_pdf(certificate)
    certificate.refresh_from_db()
    assert certificate.notified_at is not None
    assert actions.certificate_notify(certificate_id=certificate.pk) == []
    assert len(mailoutbox) == 1


def test_revoke_marks_the_certificate(django_capture_on_commit_callbacks, signing_keys):
    from accounts.tests.factories import staff

    certificate, _code = issued(django_capture_on_commit_callbacks)
    officer = staff("reviewer", office=certificate.office)
    actions.certificate_revoke(certificate=certificate, reason="伪造材料", actor=officer)
    assert certificate.status == CertificateStatus.REVOKED
    assert certificate.revoked_reason == "伪造材料" and certificate.revoked_at is not None
