"""References, follow-up codes and link tokens of feedback: random, never sequential."""

import hashlib
import secrets

from core.codes import random_code
from core.crypto import pii_hmac

from .constants import FOLLOW_CODE_DIGITS, REFERENCE_ALPHABET, REFERENCE_LENGTH

TOKEN_BYTES = 32  # 256 bits: the invitation link is the only key to the rating page


def token_new() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def reference_new() -> str:
    return random_code(REFERENCE_LENGTH, REFERENCE_ALPHABET)


def follow_code_new() -> str:
    return f"{secrets.randbelow(10**FOLLOW_CODE_DIGITS):0{FOLLOW_CODE_DIGITS}d}"


def follow_digest(reference: str, code: str) -> str:
    return pii_hmac(f"mailbox-follow:{reference}:{code}")


def normalize_reference(value: str) -> str:
    return "".join(ch for ch in (value or "").upper() if ch.isalnum())


# What an invitation is about (Invitation.subject_ref): a visit's ticket or a document request.
def ticket_subject_ref(ticket_id: int) -> str:
    return f"ticket:{ticket_id}"


def request_subject_ref(request_id: int) -> str:
    return f"request:{request_id}"
