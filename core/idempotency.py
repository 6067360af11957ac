"""Idempotent writes: a retried request with the same key gets the first answer, and nothing new
is created. The record is inserted first: on PostgreSQL a concurrent duplicate blocks on the
unique index until the first commits, then replays its answer."""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from .errors import DomainError
from .models import IdempotencyRecord


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"
    status = 422
    message = _("This Idempotency-Key was already used for a different request.")


@dataclass(frozen=True)
class Outcome:
    status: int
    body: dict
    replayed: bool


def request_fingerprint(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


@transaction.atomic
def idempotent_run(
    *, scope: str, key: str, fingerprint: str, run: Callable[[], tuple[int, dict]]
) -> Outcome:
    """Run `run` once per (scope, key). Domain errors are answers too: a retry of a refused
    request is refused the same way."""
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                scope=scope, key=key[:100], fingerprint=fingerprint
            )
    except IntegrityError:
        record = IdempotencyRecord.objects.get(scope=scope, key=key[:100])
        if record.fingerprint != fingerprint:
            raise IdempotencyKeyReused()
        return Outcome(record.status_code or 409, record.body or {}, True)
    try:
        with transaction.atomic():
            status, body = run()
    except DomainError as error:
        status, body = error.status, {"error": error.code, "detail": str(error)}
    record.status_code, record.body = status, body
    record.save(update_fields=["status_code", "body"])
    return Outcome(status, body, False)
