"""The certificate PDF: one A4 page in Chinese with English subtitles, with the number, the
holder's essentials (ID number masked), the statement of the document type, the issuing office,
the verification code and a QR code that carries the signed verification link; then signed with
the issuer's PAdES key (core/signing.py).

Called by documents.actions.certificates.certificate_generate_pdf only, with the code in transit.
"""

from django.utils import translation
from django.utils.translation import gettext

from core.links import site_reverse
from core.pdf import render_to_pdf
from core.qr import qr_png_data_uri
from core.signing import pades_sign

from .actions.certificates import certificate_verify_url, code_format
from .constants import Outcome
from .models import Certificate

MAIN, SUB = "zh-hans", "en"


def _labels() -> dict:
    return {
        "authority": gettext("Xingcheng Public Security Bureau"),
        "number": gettext("Certificate No."),
        "holder": gettext("Name"),
        "id_number": gettext("Citizen ID number"),
        "purpose": gettext("Purpose"),
        "receiving_org": gettext("Receiving organisation"),
        "period": gettext("Period covered"),
        "issued_on": gettext("Date of issue"),
        "valid_until": gettext("Valid until"),
        "office": gettext("Issuing office"),
        "finding": gettext("Finding"),
        "verify": gettext("Verify this certificate"),
        "code": gettext("Verification code"),
        "how": gettext(
            "Scan the QR code, or open the address below and enter the certificate number and "
            "the verification code. The check shows whether the certificate is valid, expired "
            "or revoked."
        ),
        "signed": gettext(
            "This PDF carries the issuing office's digital signature: a PDF reader shows if it "
            "has been changed since it was issued. A printed copy is checked online."
        ),
        "seal": gettext("Issuing office (digitally signed)"),
        "none": gettext("Not stated"),
    }


def _title(doc_type) -> str:
    """The document's name, and what kind of document the service's outcome is."""
    name = doc_type.name
    if doc_type.outcome == Outcome.LETTER:
        return gettext("%(name)s: decision letter") % {"name": name}
    if doc_type.outcome == Outcome.COUNTER:
        return gettext("%(name)s: notice to collect at the counter") % {"name": name}
    return str(name)


def _pairs(build) -> dict:
    with translation.override(MAIN):
        main = build()
    with translation.override(SUB):
        sub = build()
    return {key: (main[key], "" if sub[key] == main[key] else sub[key]) for key in main}


def certificate_pdf(certificate: Certificate, *, code: str) -> bytes:
    doc_type = certificate.doc_type
    context = {
        "c": certificate,
        "t": _pairs(_labels),
        "title": _pairs(lambda: {"t": _title(doc_type)})["t"],
        "statement": (doc_type.statement_zh, doc_type.statement_en),
        "office_name": (certificate.office.name_zh, certificate.office.name_en),
        "code_grouped": code_format(code),
        "qr": qr_png_data_uri(
            certificate_verify_url(certificate, code=code, language=MAIN), scale=1
        ),
        "verify_url": site_reverse("verify:form", language=MAIN),
    }
    pdf = render_to_pdf(
        "documents/certificate_pdf.html",
        context,
        language=MAIN,
        stylesheets=("css/pdf.css", "css/certificate-pdf.css"),
    )
    with translation.override(MAIN):
        reason = gettext("Issue of certificate %(number)s") % {"number": certificate.number}
    return pades_sign(pdf, reason=reason, location=certificate.office.name_zh)
