"""Personal data at rest: authenticated encryption, keyed lookups and key rotation."""

import base64
import hashlib
import os

import pytest
from cryptography.exceptions import InvalidTag

from core import crypto
from core.tests.factories import id_number


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


@pytest.fixture
def keys(settings):
    """Explicit keys for the test; the key cache is reset before and after."""
    old, new = _key(), _key()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    settings.PII_HMAC_KEY = _key()
    crypto.reset_key_cache()
    yield {"old": old, "new": new}
    crypto.reset_key_cache()


def test_ciphertext_hides_the_number_and_round_trips(keys):
    number = id_number(1)
    token = crypto.encrypt_text(number)
    assert number not in token and number[-4:] not in token
    assert crypto.decrypt_text(token) == number
    assert crypto.encrypt_text(number) != token  # a fresh nonce every time


def test_a_changed_ciphertext_is_refused(keys):
    token = crypto.encrypt_text(id_number(1))
    prefix, key_id, payload = token.split(":", 2)
    blob = bytearray(base64.b64decode(payload))
    blob[-1] ^= 1
    with pytest.raises(InvalidTag):
        crypto.decrypt_text(f"{prefix}:{key_id}:{base64.b64encode(bytes(blob)).decode()}")


def test_lookup_digest_is_keyed_not_a_plain_hash(keys, settings):
    number = id_number(1)
    assert crypto.pii_hmac(number) != hashlib.sha256(number.encode()).hexdigest()
    before = crypto.pii_hmac(number)
    settings.PII_HMAC_KEY = _key()
    crypto.reset_key_cache()
    assert crypto.pii_hmac(number) != before
