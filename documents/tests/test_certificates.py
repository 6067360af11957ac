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
from documents.actions import certificates as actions
from documents.constants import CODE_ALPHABET, CertificateStatus, Purpose, RequestStatus
from documents.models import Certificate
from notifications.models import Message

from .certificate_helpers import issued, prepared, qr_texts, signing_keys, stored_pdf  # noqa: F401,E501
from .factories import ID_NUMBER

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("signing_keys")]


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
    django_capture_on_commit_callbacks
):
    certificate, code = prepared(django_capture_on_commit_callbacks, receiving_org="星城一中")
    assert certificate.number.startswith(f"WFZ-{timezone.localdate().year}-")
    assert certificate.holder_name == "张三"
    assert certificate.holder_id_masked == "430***********1234"[:3] + "*" * 11 + ID_NUMBER[-4:]
    assert certificate.receiving_org == "星城一中"
    with translation.override("zh-hans"):
        zh = str(Purpose.EMPLOYMENT.label)
    assert certificate.purpose_text in (f"{zh} / Employment", "Employment")
    assert certificate.code_hash == actions.code_digest(code) != actions.code_digest(code[::-1])
    assert len(certificate.code_hash) == 64
    stored = Certificate.objects.filter(pk=certificate.pk).values().get()
    assert not any(code in str(value) for value in stored.values())
    assert ID_NUMBER not in str(stored)
    assert certificate.valid_until == certificate.issued_on + dt.timedelta(
        days=(certificate.valid_until - certificate.issued_on).days
    )
    assert 89 <= (certificate.valid_until - certificate.issued_on).days <= 92  # 3 months


def test_validity_follows_the_document_type(django_capture_on_commit_callbacks):
    from .factories import DocumentTypeFactory

    with time_machine.travel(dt.datetime(2026, 11, 30, 10, tzinfo=dt.UTC)):
        certificate, _code = prepared(
            django_capture_on_commit_callbacks, doc_type=DocumentTypeFactory(validity_months=6)
        )
    assert (certificate.issued_on, certificate.valid_until) == (
        dt.date(2026, 11, 30), dt.date(2027, 5, 30)
    )


def test_prepare_twice_gives_the_same_certificate_and_enqueues_the_pdf_once(
    django_capture_on_commit_callbacks
):
    certificate, _code = prepared(django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        again = actions.certificate_prepare(request=certificate.request)
    assert again.pk == certificate.pk and callbacks == []


def test_issue_stores_a_signed_pdf_clears_the_code_and_issues_the_request(
    django_capture_on_commit_callbacks
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
    django_capture_on_commit_callbacks
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
    django_capture_on_commit_callbacks, mailoutbox
):
    certificate, _code = issued(django_capture_on_commit_callbacks)
    messages = Message.objects.filter(kind=actions.NOTIFY_KIND, ref=certificate.number)
    assert sorted(messages.values_list("channel", flat=True)) == ["email", "sms"]
    # The certificate's e-mail, and (feedback/) the invitation to rate the request.
    [mail] = [m for m in mailoutbox if m.attachments]
    assert len(mailoutbox) == 2
    [(name, content, mimetype)] = mail.attachments
    assert (name, mimetype) == (f"{certificate.number}.pdf", "application/pdf")
    assert content == stored_pdf(certificate)
    certificate.refresh_from_db()
    assert certificate.notified_at is not None
    assert actions.certificate_notify(certificate_id=certificate.pk) == []
    assert len(mailoutbox) == 2


def test_revoke_marks_the_certificate(django_capture_on_commit_callbacks):
    from accounts.tests.factories import staff

    certificate, _code = issued(django_capture_on_commit_callbacks)
    officer = staff("reviewer", office=certificate.office)
    actions.certificate_revoke(certificate=certificate, reason="伪造材料", actor=officer)
    assert certificate.status == CertificateStatus.REVOKED
    assert certificate.revoked_reason == "伪造材料" and certificate.revoked_at is not None


def test_what_the_resident_typed_cannot_make_the_pdf_fetch_files_or_internal_urls(
    django_capture_on_commit_callbacks, monkeypatch
):
    from core import pdf as core_pdf
    from core import pdf_engine

    asked = []
    real_fetch = pdf_engine.StaticOnlyFetcher.fetch

    def spy(self, url, headers=None):
        asked.append(url)
        return real_fetch(self, url, headers)

    monkeypatch.setattr(pdf_engine.StaticOnlyFetcher, "fetch", spy)
    typed = ('<link rel="attachment" href="file:///etc/passwd">'
             '<img src="http://169.254.169.254/latest/meta-data/" alt="x">')
    certificate, _code = issued(django_capture_on_commit_callbacks, receiving_org=typed[:100])
    pdf = stored_pdf(certificate)
    assert all(url.startswith(("data:", core_pdf.BASE_URL + "static/")) for url in asked)
    assert any(url.endswith("emblem.svg") for url in asked)  # the fetcher was the one asked
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    assert reader.attachments == {}
    assert "file:///etc/passwd" in reader.pages[0].extract_text()  # shown as text, not fetched


def _pdf_url(certificate) -> str:
    from django.urls import reverse

    return reverse("documents:certificate-pdf", args=[certificate.request.reference])


@pytest.fixture
def owned(django_capture_on_commit_callbacks):
    from .factories import resident

    owner = resident("13800138111")
    certificate, code = issued(django_capture_on_commit_callbacks, user=owner)
    return owner, certificate, code


def test_the_owner_downloads_the_pdf_and_sees_the_checks(client, owned):
    owner, certificate, code = owned
    actions.certificate_verify(number=certificate.number, code=code, channel="qr")
    client.force_login(owner)
    response = client.get(_pdf_url(certificate))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    # Reading the stream to its end closes the file (the test client's wrapper closes it).
    assert b"".join(response.streaming_content) == stored_pdf(certificate)
    assert f'filename="{certificate.number}.pdf"' in response["Content-Disposition"]

    from django.template.loader import render_to_string

    html = render_to_string("documents/certificate_panel.html", {"certificate": certificate})
    assert certificate.number in html and "certificate-checks" in html
    assert html.count("<tr>") == 2  # the header and one check


def test_nobody_else_gets_the_pdf(client, owned, verified_client):
    from accounts.tests.factories import staff
    from services.tests.factories import OfficeFactory

    from .factories import resident

    _owner, certificate, _code = owned
    url = _pdf_url(certificate)
    assert client.get(url).status_code == 404  # anonymous
    client.force_login(resident("13900139000"))
    assert client.get(url).status_code == 404  # another resident
    elsewhere = staff("reviewer", office=OfficeFactory())
    assert verified_client(elsewhere).get(url).status_code == 404  # another office's reviewer
    here = staff("reviewer", office=certificate.office)
    from django.test import Client

    unverified = Client()
    unverified.force_login(here)
    assert unverified.get(url).status_code == 404  # no second factor
    allowed = verified_client(here).get(url)
    assert allowed.status_code == 200
    assert b"".join(allowed.streaming_content).startswith(b"%PDF-")
    from accounts.models import AuditEntry

    entry = AuditEntry.objects.filter(action="view", actor=here).get()
    assert entry.details == {"page": "certificate"}


@pytest.mark.parametrize(("outcome", "words"), [
    ("letter", "decision letter"), ("counter", "notice to collect at the counter"),
])
def test_the_outcome_names_the_document(outcome, words):
    from documents.certificate_pdf import certificate_pdf

    from .factories import request_in

    req = request_in(RequestStatus.APPROVED)
    type(req.doc_type).objects.filter(pk=req.doc_type_id).update(outcome=outcome)
    req.doc_type.refresh_from_db()
    certificate = actions.certificate_prepare(request=req)
    pdf = certificate_pdf(certificate, code="ABCD" * 7)
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        text = document.pages[0].extract_text()
    assert words in text.replace("\n", " ")
