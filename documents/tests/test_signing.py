"""The issuer's keys (core/signing.py): PAdES signatures that show any change, and QR payloads
that fail when a field, or the key, is not the issuer's."""


import io
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.urls import reverse

from core import signing
from core.pdf import render_to_pdf

from .certificate_helpers import signing_keys  # noqa: F401

pytestmark = pytest.mark.usefixtures("signing_keys")


def _pdf() -> bytes:
    return render_to_pdf("documents/certificate_pdf.html", {"t": {"none": ("—", "")}})


@pytest.fixture
def plain_pdf(db):
    return _pdf()


def test_a_signed_pdf_validates_and_a_changed_byte_breaks_it(plain_pdf):
    signed = signing.pades_sign(plain_pdf, reason="issue", location="Xingcheng")
    check = signing.pades_check(signed)
    assert check.intact and check.valid and check.trusted and check.untouched
    assert "OneWindow demo document signer" in check.signer

    tampered = bytearray(signed)
    tampered[300] ^= 0x01  # inside the signed byte range (the first revision)
    assert signing.pades_check(bytes(tampered)).intact is False


def test_an_update_appended_after_signing_is_reported(plain_pdf):
    from pypdf import PdfWriter

    signed = signing.pades_sign(plain_pdf)
    writer = PdfWriter(io.BytesIO(signed), incremental=True)
    writer.add_metadata({"/Title": "forged"})
    out = io.BytesIO()
    writer.write(out)
    check = signing.pades_check(out.getvalue())
    assert check.untouched is False


def test_an_unsigned_pdf_has_no_signature(plain_pdf):
    assert signing.pades_check(plain_pdf) is None


def test_the_demo_keys_are_made_once_and_kept(settings):
    keys_dir = Path(settings.SIGNING_DEMO_DIR)
    signing.ensure_demo_keys()
    first = (keys_dir / signing.DEMO_KEY_FILE).read_bytes()
    signing.reset_signing_cache()
    signing.ensure_demo_keys()
    assert (keys_dir / signing.DEMO_KEY_FILE).read_bytes() == first
    assert (keys_dir / signing.DEMO_KEY_FILE).stat().st_mode & 0o077 == 0


def test_keys_from_the_environment_are_used_as_pem_text(settings):
    key = Ed25519PrivateKey.generate()
    settings.CERTIFICATE_QR_KEY = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    signing.reset_signing_cache()
    assert signing.qr_private_key().public_key().public_bytes_raw() == (
        key.public_key().public_bytes_raw()
    )


FIELDS = ["WFZ-2026-12345678", "K7M39QXA" * 3 + "ABCD", "20261202", "20270302"]


def test_a_payload_round_trips():
    assert signing.verify_payload(signing.sign_payload(FIELDS)) == FIELDS


@pytest.mark.parametrize("index, forged", [(0, "WFZ-2026-12345679"), (1, "A" * 28),
                                           (3, "20991231")])
def test_a_tampered_field_is_rejected(index, forged):
    payload = signing.sign_payload(FIELDS)
    text, signature = payload.split(".")
    fields = signing._unb64(text).decode().split("|")
    fields[2 + index] = forged
    tampered = signing._b64("|".join(fields).encode()) + "." + signature
    with pytest.raises(signing.BadPayload):
        signing.verify_payload(tampered)


def test_a_payload_signed_with_another_key_is_rejected():
    other = Ed25519PrivateKey.generate()
    text = "|".join(["1", signing.key_id(signing.qr_private_key().public_key()), *FIELDS]).encode()
    forged = signing._b64(text) + "." + signing._b64(other.sign(text))
    with pytest.raises(signing.BadPayload):
        signing.verify_payload(forged)


@pytest.mark.parametrize("junk", ["", "abc", "a.b.c", "!!!.???", "MXx4.AAAA"])
def test_malformed_payloads_are_rejected(junk):
    with pytest.raises(signing.BadPayload):
        signing.verify_payload(junk)


def test_a_retired_key_still_verifies_old_codes(settings):
    old = signing.sign_payload(FIELDS)
    old_public = signing.qr_private_key().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    settings.CERTIFICATE_QR_KEY = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    signing.reset_signing_cache()
    with pytest.raises(signing.BadPayload):
        signing.verify_payload(old)
    settings.CERTIFICATE_QR_RETIRED_PUBLIC_KEYS = [old_public]
    signing.reset_signing_cache()
    assert signing.verify_payload(old) == FIELDS


def test_the_public_keys_are_published_outside_the_language_prefix(client):
    response = client.get("/.well-known/onewindow-certificate-keys.json")
    assert response.status_code == 200
    assert reverse("certificate-keys") == "/.well-known/onewindow-certificate-keys.json"
    body = response.json()
    [jwk] = body["keys"]
    assert jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519" and jwk["alg"] == "EdDSA"
    assert jwk["kid"] == signing.key_id(signing.qr_private_key().public_key())
    assert body["document_signing_certificate"].startswith("-----BEGIN CERTIFICATE-----")
    assert body["demo"] is True
    assert "PRIVATE" not in response.content.decode()

    # An offline verifier needs nothing else: rebuild the key from the JWK and check a payload.
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    public = Ed25519PublicKey.from_public_bytes(signing._unb64(jwk["x"]))
    text, signature = signing.sign_payload(FIELDS).split(".")
    public.verify(signing._unb64(signature), signing._unb64(text))


def test_demo_keys_fail_the_deployment_check_and_broken_keys_are_errors(settings):
    from core.checks import signing_keys as check

    assert [w.id for w in check(None)] == ["onewindow.W010"]
    key_pem, cert_pem = signing.self_signed_signer("production")
    settings.DOCUMENT_SIGNING_KEY = key_pem.decode()
    settings.DOCUMENT_SIGNING_CERT = cert_pem.decode()
    settings.CERTIFICATE_QR_KEY = signing.qr_key_new().decode()
    signing.reset_signing_cache()
    assert check(None) == []

    other_key, _other_cert = signing.self_signed_signer("someone else")
    settings.DOCUMENT_SIGNING_KEY = other_key.decode()
    settings.CERTIFICATE_QR_KEY = "/nonexistent/qr.pem"
    signing.reset_signing_cache()
    assert [problem.id for problem in check(None)] == ["onewindow.E011", "onewindow.E011"]
