"""The issuer's keys: PAdES signatures on PDFs (pyHanko) and signed compact payloads for QR codes.

Two key pairs, each from the environment, or in the embedded default a demo pair generated once
(with `cryptography`) into SIGNING_DEMO_DIR (gitignored, `keys/signing/`, outside the media backup):

- the document-signing key and X.509 certificate (DOCUMENT_SIGNING_KEY, DOCUMENT_SIGNING_CERT,
  optional DOCUMENT_SIGNING_CHAIN and DOCUMENT_SIGNING_KEY_PASSWORD; each a file path or the PEM
  itself). Every PDF signed with it is a PAdES baseline signature, so any PDF reader reports a
  change made after signing. The demo certificate is self-signed: readers say "signer unknown",
  which is what a demo should say.
- the QR key, Ed25519 (CERTIFICATE_QR_KEY: path or PEM). `sign_payload` turns a few short fields
  into `<base64url(canonical text)>.<base64url(signature)>`; the canonical text is
  `1|<key id>|field|field|…`. Anyone holding the public key (published at
  /.well-known/onewindow-certificate-keys.json) can check a payload offline, and a changed
  field breaks the signature. Retired QR public keys (CERTIFICATE_QR_RETIRED_PUBLIC_KEYS) keep
  old QR codes verifiable after a key change.

core knows no domain: what the fields mean is the caller's business (documents/).
"""

import base64
import contextlib
import datetime as dt
import hashlib
import io
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes, PublicKeyTypes
from cryptography.x509.oid import NameOID
from django.conf import settings

PAYLOAD_VERSION = "1"
_SEP = "|"
DEMO_KEY_FILE = "document-signing-key.pem"
DEMO_CERT_FILE = "document-signing-cert.pem"
DEMO_QR_KEY_FILE = "qr-ed25519-key.pem"


class BadPayload(ValueError):
    """A QR payload that is malformed, signed by an unknown key, or altered."""


# --- where key material comes from ----------------------------------------------------------


def _material(value: str) -> bytes:
    """A setting holds either the PEM text itself or a path to a PEM/DER file."""
    text = value.strip()
    if text.startswith("-----BEGIN"):
        return text.encode()
    return Path(text).read_bytes()


def _demo_dir() -> Path:
    return Path(settings.SIGNING_DEMO_DIR)


def _write_once(path: Path, data: bytes) -> None:
    """Create `path` with `data` unless it exists; two workers starting at once both end up
    reading the same file (the link is atomic and fails for the second)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o600)
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        os.unlink(tmp)


T = TypeVar("T")


def _public_der(key: PublicKeyTypes) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _pem_private(key: PrivateKeyTypes) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def self_signed_signer(common_name: str = "OneWindow demo document signer") -> tuple[bytes, bytes]:
    """(key PEM, certificate PEM): a new EC P-256 key and a self-signed certificate for it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "OneWindow demo"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=True, key_cert_sign=True,
                crl_sign=False, key_encipherment=False, data_encipherment=False,
                key_agreement=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return _pem_private(key), cert.public_bytes(serialization.Encoding.PEM)


def qr_key_new() -> bytes:
    """A new Ed25519 private key, PEM."""
    return _pem_private(Ed25519PrivateKey.generate())


def _demo_document_key() -> tuple[bytes, bytes]:
    """(key PEM, certificate PEM) of the demo signer, generated on first use."""
    key_path, cert_path = _demo_dir() / DEMO_KEY_FILE, _demo_dir() / DEMO_CERT_FILE
    if not (key_path.exists() and cert_path.exists()):
        key_pem, cert_pem = self_signed_signer()
        # The key goes first: a certificate without its key is useless, the reverse is repaired.
        _write_once(key_path, key_pem)
        if not cert_path.exists():
            _write_once(cert_path, cert_pem)
    return key_path.read_bytes(), cert_path.read_bytes()


def _demo_qr_key() -> bytes:
    path = _demo_dir() / DEMO_QR_KEY_FILE
    if not path.exists():
        _write_once(path, qr_key_new())
    return path.read_bytes()


def uses_demo_keys() -> bool:
    return not (settings.DOCUMENT_SIGNING_KEY and settings.CERTIFICATE_QR_KEY)


def configured_keys_problems() -> list[str]:
    """What is wrong with the configured keys (unreadable, not a key, key and certificate
    mismatched); checked at deployment, not at the first certificate."""
    problems = []
    try:
        if settings.DOCUMENT_SIGNING_KEY:
            material = document_signer()
            key = serialization.load_pem_private_key(material.key_pem, password=material.password)
            cert = x509.load_pem_x509_certificate(material.cert_pem)
            if _public_der(cert.public_key()) != _public_der(key.public_key()):
                problems.append("DOCUMENT_SIGNING_KEY does not belong to DOCUMENT_SIGNING_CERT")
    except (OSError, ValueError, TypeError) as exc:
        problems.append(f"DOCUMENT_SIGNING_KEY/CERT: {exc}")
    try:
        if settings.CERTIFICATE_QR_KEY:
            qr_private_key()
            qr_public_keys()
    except (OSError, ValueError, TypeError) as exc:
        problems.append(f"CERTIFICATE_QR_KEY: {exc}")
    return problems


def ensure_demo_keys() -> None:
    """Create whichever demo key is missing and not configured (seed_demo calls this)."""
    if not settings.DOCUMENT_SIGNING_KEY:
        _demo_document_key()
    if not settings.CERTIFICATE_QR_KEY:
        _demo_qr_key()


# --- PAdES --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentSigner:
    key_pem: bytes
    cert_pem: bytes
    chain_pem: bytes
    password: bytes | None


@cache
def document_signer() -> DocumentSigner:
    if settings.DOCUMENT_SIGNING_KEY:
        if not settings.DOCUMENT_SIGNING_CERT:
            raise ValueError("DOCUMENT_SIGNING_KEY is set but DOCUMENT_SIGNING_CERT is not")
        key, cert = _material(settings.DOCUMENT_SIGNING_KEY), _material(
            settings.DOCUMENT_SIGNING_CERT
        )
    else:
        key, cert = _demo_document_key()
    chain = _material(settings.DOCUMENT_SIGNING_CHAIN) if settings.DOCUMENT_SIGNING_CHAIN else b""
    password = settings.DOCUMENT_SIGNING_KEY_PASSWORD.encode() or None
    return DocumentSigner(key_pem=key, cert_pem=cert, chain_pem=chain, password=password)


@cache
def _pyhanko_signer() -> Any:
    """Loaded once per process (reset_signing_cache() forgets it with the keys)."""
    from pyhanko.keys import load_certs_from_pemder_data, load_private_key_from_pemder_data
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    material = document_signer()
    registry = SimpleCertificateStore()
    if material.chain_pem:
        registry.register_multiple(list(load_certs_from_pemder_data(material.chain_pem)))
    return signers.SimpleSigner(
        signing_cert=_one_cert(material.cert_pem),
        signing_key=load_private_key_from_pemder_data(
            material.key_pem, passphrase=material.password
        ),
        cert_registry=registry,
    )


def _one_cert(pem: bytes) -> Any:
    from pyhanko.keys import load_certs_from_pemder_data

    certs = list(load_certs_from_pemder_data(pem))
    if len(certs) != 1:
        raise ValueError("DOCUMENT_SIGNING_CERT must hold exactly one certificate")
    return certs[0]


def pades_sign(pdf: bytes, *, reason: str = "", location: str = "") -> bytes:
    """The PDF with an invisible PAdES certification signature that allows no later change."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.sign.fields import MDPPerm

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    meta = signers.PdfSignatureMetadata(
        field_name="IssuerSignature",
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        certify=True,
        docmdp_permissions=MDPPerm.NO_CHANGES,
        reason=reason or None,
        location=location or None,
    )
    # Invisible and hidden: a zero-size widget outside the structure tree would trouble PDF/UA
    # checkers; the signature panel of a PDF reader shows it all the same.
    field = fields.SigFieldSpec(
        "IssuerSignature",
        invis_sig_settings=fields.InvisSigSettings(set_print_flag=False, set_hidden_flag=True),
    )
    signer = _pyhanko_signer()
    out = _outside_any_event_loop(
        lambda: signers.sign_pdf(
            writer, meta, signer=signer, new_field_spec=field,
            bytes_reserved=_signature_space(signer),
        )
    )  # fmt: skip
    return out.getvalue()


def _signature_space(signer: Any) -> int:
    """Room for the signature container (hex digits in the PDF), worked out from what goes in it
    rather than by pyHanko's dry-run signature, which cost as much as the signature itself
    (bench/pdfs.py). The container holds the certificates, a few signed attributes and the
    signature value: their DER sizes plus 4 KiB, doubled for hex, with pyHanko's own 50 %
    margin; too small a room fails the signing loudly, never silently."""
    certificates = [signer.signing_cert, *signer.cert_registry]
    size = 2 * (sum(len(cert.dump()) for cert in certificates) + 4096)
    return size + 2 * (size // 4)


def _outside_any_event_loop(call: Callable[[], T]) -> T:
    """pyHanko's synchronous API runs its coroutines with asyncio.run(), which refuses to start
    in a thread whose event loop is already running (an ASGI server, a Playwright session in
    tests). There the call goes to a short-lived thread of its own."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return call()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result()


@dataclass(frozen=True)
class SignatureCheck:
    intact: bool  # the signed bytes are unchanged
    valid: bool  # the signature is mathematically valid for the signer's key
    trusted: bool  # the signer's certificate chains to the issuer certificate given
    untouched: bool  # nothing was appended after signing
    signer: str


def pades_check(pdf: bytes) -> SignatureCheck | None:
    """Validate the first signature against the configured signing certificate (and chain) as
    trust roots; None when the PDF carries no signature."""
    from pyhanko.keys import load_certs_from_pemder_data
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    if not reader.embedded_signatures:
        return None
    material = document_signer()
    roots = [_one_cert(material.cert_pem)]
    if material.chain_pem:
        roots += list(load_certs_from_pemder_data(material.chain_pem))
    status = _outside_any_event_loop(
        lambda: validate_pdf_signature(
            reader.embedded_signatures[0],
            ValidationContext(trust_roots=roots, allow_fetching=False),
        )
    )
    return SignatureCheck(
        intact=status.intact,
        valid=status.valid,
        trusted=status.trusted,
        untouched=status.coverage is not None and status.coverage.name == "ENTIRE_FILE",
        signer=status.signing_cert.subject.human_friendly,
    )


# --- the QR payload -----------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return _b64(hashlib.sha256(raw).digest()[:6])


@cache
def qr_private_key() -> Ed25519PrivateKey:
    pem = _material(settings.CERTIFICATE_QR_KEY) if settings.CERTIFICATE_QR_KEY else _demo_qr_key()
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("CERTIFICATE_QR_KEY must be an Ed25519 private key")
    return key


@cache
def qr_public_keys() -> dict[str, Ed25519PublicKey]:
    """Key id → public key: the current key first, then the retired ones."""
    keys = [qr_private_key().public_key()]
    for value in settings.CERTIFICATE_QR_RETIRED_PUBLIC_KEYS:
        key = serialization.load_pem_public_key(_material(value))
        if isinstance(key, Ed25519PublicKey):
            keys.append(key)
    return {key_id(key): key for key in keys}


def sign_payload(fields: list[str]) -> str:
    for value in fields:
        if _SEP in value or not value.isprintable():
            raise ValueError("payload fields must be printable and free of '|'")
    private = qr_private_key()
    text = _SEP.join([PAYLOAD_VERSION, key_id(private.public_key()), *fields]).encode()
    return f"{_b64(text)}.{_b64(private.sign(text))}"


def verify_payload(payload: str) -> list[str]:
    """The fields of a payload this issuer signed; BadPayload for anything else."""
    try:
        text_part, sig_part = payload.split(".")
        text, signature = _unb64(text_part), _unb64(sig_part)
        version, kid, *fields = text.decode("ascii").split(_SEP)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadPayload("malformed payload") from exc
    key = qr_public_keys().get(kid)
    if version != PAYLOAD_VERSION or key is None:
        raise BadPayload("unknown payload version or key")
    try:
        key.verify(signature, text)
    except InvalidSignature as exc:
        raise BadPayload("signature does not match") from exc
    return fields


def sign_statement(data: bytes) -> tuple[str, str]:
    """(key id, base64url signature) of `data` under the issuer's Ed25519 key (the QR key):
    one issuer key, one place where it is published, for every statement the issuer signs."""
    private = qr_private_key()
    return key_id(private.public_key()), _b64(private.sign(data))


def statement_valid(data: bytes, *, kid: str, signature: str) -> bool:
    """Whether `signature` is the signature of `data` by the current or a retired issuer key."""
    key = qr_public_keys().get(kid)
    if key is None:
        return False
    try:
        key.verify(_unb64(signature), data)
    except (InvalidSignature, ValueError):
        return False
    return True


def published_keys() -> dict:
    """What /.well-known/onewindow-certificate-keys.json shows: the QR public keys as JWKs
    (RFC 8037 OKP) and the document-signing certificate."""
    jwks = []
    for kid, key in qr_public_keys().items():
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        jwks.append({"kty": "OKP", "crv": "Ed25519", "x": _b64(raw), "kid": kid,
                     "use": "sig", "alg": "EdDSA"})
    signer = document_signer()
    return {
        "keys": jwks,
        "document_signing_certificate": signer.cert_pem.decode().strip(),
        "document_signing_chain": signer.chain_pem.decode().strip(),
        "demo": uses_demo_keys(),
    }


def reset_signing_cache() -> None:
    document_signer.cache_clear()
    _pyhanko_signer.cache_clear()
    qr_private_key.cache_clear()
    qr_public_keys.cache_clear()
