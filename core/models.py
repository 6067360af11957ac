"""Shared models with no domain of their own."""

from django.db import models


class IdempotencyRecord(models.Model):
    """The first answer to a request with a given Idempotency-Key, replayed for retries."""

    key = models.CharField(max_length=100)
    scope = models.CharField(max_length=100)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="idempotency_unique_key")
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"
