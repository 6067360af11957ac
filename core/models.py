"""Shared models with no domain of their own."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


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


class TaskDelivery(models.Model):
    """How often a Celery task (by task id and retry number) was handed to a worker.

    Written before the task runs and deleted when it succeeds, so the table holds only tasks in
    flight and tasks that failed for good: a dead-letter list for the operator (docs/deploy.md,
    "Celery").
    A task whose worker dies under it every time (a poison message) stops here after
    CELERY_TASK_MAX_DELIVERIES deliveries instead of going back to the queue for ever."""

    class State(models.TextChoices):
        RUNNING = "running", pgettext_lazy("task", "Running")
        FAILED = "failed", pgettext_lazy("task", "Failed")

    task_id = models.CharField(_("task id"), max_length=255, unique=True)
    name = models.CharField(_("task"), max_length=255)
    retries = models.PositiveIntegerField(_("retry number"), default=0)
    deliveries = models.PositiveIntegerField(pgettext_lazy("task", "attempts"), default=0)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.RUNNING
    )
    error = models.CharField(_("last error"), max_length=300, blank=True)
    first_seen = models.DateTimeField(_("first delivered at"), auto_now_add=True)
    last_seen = models.DateTimeField(_("last delivered at"), auto_now=True)

    class Meta:
        verbose_name = _("task delivery")
        verbose_name_plural = _("task deliveries")
        indexes = [models.Index(fields=["state", "last_seen"])]

    def __str__(self) -> str:
        return f"{self.name} {self.task_id} ({self.state}, {self.deliveries} deliveries)"


class OutboxMessage(models.Model):
    """A side effect of a write (an SMS, a PDF, an offer …), recorded in the same transaction as
    the write and carried out afterwards by a worker, at least once (core/outbox.py).

    `task` names the Celery task that does the work and `args` its arguments (ids, never
    objects); arguments that must not rest in clear (a token, a code) are in `secret_args`,
    encrypted, and dropped once the work is done. `key` is unique: writing the same side effect
    twice (two runs of a job, a retried request) keeps one row. A row handed to a worker is
    `running` until `locked_until`; a worker that dies leaves the lease to expire and the relay
    hands the row out again."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("outbox", "Pending")
        RUNNING = "running", pgettext_lazy("outbox", "Running")
        DONE = "done", pgettext_lazy("outbox", "Done")
        FAILED = "failed", pgettext_lazy("outbox", "Failed")

    task = models.CharField(_("task"), max_length=200)
    key = models.CharField(_("deduplication key"), max_length=200, unique=True)
    args = models.JSONField(_("arguments"), default=list)
    secret_args = models.TextField(_("encrypted arguments"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(pgettext_lazy("task", "attempts"), default=0)
    available_at = models.DateTimeField(_("due at"))
    locked_until = models.DateTimeField(_("leased until"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    encrypted_fields = {"secret_args": None}  # manage.py rotate_keys

    class Meta:
        verbose_name = _("outbox entry")
        verbose_name_plural = _("outbox entries")
        indexes = [
            models.Index(fields=["status", "available_at"]),
            models.Index(fields=["status", "locked_until"]),
        ]

    def __str__(self) -> str:
        return f"{self.task} #{self.pk} ({self.status}, {self.attempts} attempts)"
