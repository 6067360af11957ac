"""Personal data at rest: authenticated encryption (AES-256-GCM) and keyed lookups (HMAC-SHA256).

Keys come from the environment: FIELD_ENCRYPTION_KEYS (comma-separated, base64 32-byte keys; the
first encrypts, all decrypt, so a new key is added in front and old ciphertexts are re-encrypted
at leisure) and PII_HMAC_KEY. The embedded default derives both from SECRET_KEY so a dev machine
needs no setup; production must set them.
"""

import base64
import hashlib
import hmac
import os
from functools import cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

_PREFIX = "v1"


def _derive(label: bytes) -> bytes:
    return hashlib.sha256(label + settings.SECRET_KEY.encode()).digest()


@cache
def _keys() -> tuple[tuple[str, bytes], ...]:
    configured = [k.strip() for k in settings.FIELD_ENCRYPTION_KEYS if k.strip()]
    raw = [base64.b64decode(k) for k in configured] or [_derive(b"onewindow-field-key:")]
    for key in raw:
        if len(key) != 32:
            raise ValueError("FIELD_ENCRYPTION_KEYS entries must be base64 of 32 bytes")
    return tuple((hashlib.sha256(k).hexdigest()[:8], k) for k in raw)


@cache
def _hmac_key() -> bytes:
    configured = settings.PII_HMAC_KEY
    return base64.b64decode(configured) if configured else _derive(b"onewindow-pii-hmac:")


def encrypt_text(plaintext: str) -> str:
    key_id, key = _keys()[0]
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), key_id.encode())
    return f"{_PREFIX}:{key_id}:{base64.b64encode(nonce + sealed).decode()}"


def decrypt_text(token: str) -> str:
    prefix, key_id, payload = token.split(":", 2)
    if prefix != _PREFIX:
        raise ValueError("unknown ciphertext version")
    key = dict(_keys()).get(key_id)
    if key is None:
        raise ValueError("no key for this ciphertext; is FIELD_ENCRYPTION_KEYS complete?")
    blob = base64.b64decode(payload)
    return AESGCM(key).decrypt(blob[:12], blob[12:], key_id.encode()).decode()


def needs_reencryption(token: str) -> bool:
    return token.split(":", 2)[1] != _keys()[0][0]


def pii_hmac(value: str) -> str:
    """A keyed digest for exact lookups; a plain hash of 18 digits would be brute-forced."""
    return hmac.new(_hmac_key(), value.encode(), hashlib.sha256).hexdigest()


def reset_key_cache() -> None:
    _keys.cache_clear()
    _hmac_key.cache_clear()
