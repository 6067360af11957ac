"""Codes people read aloud and type: booking codes, references, verification codes.

One alphabet with no 0/O, 1/I/L, so a code read out at a counter or on the phone, or typed from
a screenshot, is unambiguous; every code is drawn at random (`secrets`), never a sequence."""

import secrets

UNAMBIGUOUS_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def random_code(length: int, alphabet: str = UNAMBIGUOUS_ALPHABET) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))
