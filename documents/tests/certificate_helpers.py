"""Shared by the certificate tests: a certificate prepared for an approved request (with its
verification code, read from the code in transit as the PDF task does), issued on demand, and the
QR code of a PDF decoded from its rendered page."""

import pytest

from core import signing
from core.tests.qr_scan import scan_pdf
from documents.actions.certificates import (
    certificate_code_in_transit,
    certificate_generate_pdf,
    certificate_prepare,
)
from documents.constants import RequestStatus
from documents.models import Certificate

from .factories import request_in


@pytest.fixture
def signing_keys(settings, tmp_path_factory):
    """Demo keys generated once per test session in a temporary folder."""
    settings.SIGNING_DEMO_DIR = tmp_path_factory.getbasetemp() / "signing-keys"
    signing.reset_signing_cache()
    yield settings.SIGNING_DEMO_DIR
    signing.reset_signing_cache()


def prepared(django_capture_on_commit_callbacks, **request_fields) -> tuple[Certificate, str]:
    """(certificate, code) for a freshly approved request; the PDF task has not run."""
    req = request_in(RequestStatus.APPROVED, **request_fields)
    with django_capture_on_commit_callbacks(execute=False):
        certificate = certificate_prepare(request=req)
    return certificate, certificate_code_in_transit(certificate)


def issued(django_capture_on_commit_callbacks, **request_fields) -> tuple[Certificate, str]:
    """(certificate, code) after the PDF task ran and the holder was told."""
    certificate, code = prepared(django_capture_on_commit_callbacks, **request_fields)
    with django_capture_on_commit_callbacks(execute=True):
        certificate = certificate_generate_pdf(certificate_id=certificate.pk)
    return certificate, code


def stored_pdf(certificate: Certificate) -> bytes:
    certificate.refresh_from_db()
    with certificate.pdf.open("rb") as handle:
        return handle.read()


def qr_texts(pdf: bytes, *, scale: float = 3) -> list[str]:
    """Render the page (pypdfium2) and decode every QR code on it (zxing-cpp)."""
    return [scan.text for scan in scan_pdf(pdf, scale=scale)]
