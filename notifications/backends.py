"""Pluggable SMS backends, chosen by settings.SMS_BACKEND (like Django's EMAIL_BACKEND)."""

import logging
import sys
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SMSBackend(Protocol):
    def send(self, *, phone: str, text: str) -> None: ...


class ConsoleSMSBackend:
    """Writes each message to standard output: the embedded default."""

    def send(self, *, phone: str, text: str) -> None:
        masked = phone[:3] + "****" + phone[-4:] if len(phone) >= 11 else "****" + phone[-4:]
        sys.stdout.write(f"[SMS to {masked}] {text}\n")


class LocmemSMSBackend:
    """Keeps messages in memory; tests read `LocmemSMSBackend.outbox`."""

    outbox: list[dict[str, str]] = []

    def send(self, *, phone: str, text: str) -> None:
        self.outbox.append({"phone": phone, "text": text})


def get_sms_backend() -> SMSBackend:
    return import_string(settings.SMS_BACKEND)()
