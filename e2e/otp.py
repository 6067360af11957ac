"""Codes an authenticator app would show, for the browser tests.

django-otp refuses a code from a time step it has already accepted (replay protection) and, when
a code is accepted one step early or late, shifts the device's drift by that step. A test that
types "the next code" at once therefore fails whenever the sign-in crossed a 30-second boundary.
`next_code` instead waits, as a person would, for the app to show a new code."""

import base64
import time

from django_otp.oath import TOTP

STEP = 30


def _totp(secret: str) -> TOTP:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return TOTP(key, step=STEP)


def current_step() -> int:
    return int(time.time()) // STEP


def code_for(secret: str) -> tuple[str, int]:
    """The code shown now, and the time step it belongs to."""
    totp = _totp(secret)
    step = totp.t()
    return f"{totp.token():06d}", step


def next_code(secret: str, *, after: int) -> str:
    """The first code of a time step later than `after` (waits up to one step for it)."""
    while current_step() <= after:
        time.sleep(0.25)
    code, _step = code_for(secret)
    return code
