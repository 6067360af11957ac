"""Codes an authenticator app would show, for the browser tests.

django-otp refuses a code from a time step it has already accepted (replay protection) and, when
a code is accepted one step early or late, shifts the device's drift by that step. A test that
types "the next code" at once therefore fails whenever the sign-in crossed a 30-second boundary.
`next_code` instead waits, as a person would, for the app to show a new code; given the
time-machine fixture, it moves this process's clock to the next step instead (the live server is
a thread of this process, so the server and the app agree), which saves up to 30 s a call."""

import base64
import datetime as dt
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


def next_code(secret: str, *, after: int, clock=None) -> str:
    """The first code of a time step later than `after`: waits up to one step for it, or with
    `clock` (time-machine's fixture) moves the clock, still ticking, to that step's start."""
    if clock is not None and current_step() <= after:
        clock.move_to(dt.datetime.fromtimestamp((after + 1) * STEP, tz=dt.UTC), tick=True)
    while current_step() <= after:
        time.sleep(0.25)
    code, _step = code_for(secret)
    return code
