"""The outbox: every SMS and e-mail OneWindow sends, with its delivery state.

The real recipient is kept for delivery and retries; lists, `str()` and logs show only the
masked form, so an admin screen or a log line never carries a full phone number.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Message(models.Model):
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    recipient = models.CharField(_("recipient"), max_length=254, editable=False)
    recipient_masked = models.CharField(_("recipient"), max_length=254)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    kind = models.CharField(_("kind"), max_length=40)
    ref = models.CharField(_("reference"), max_length=40, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.CharField(_("last error"), max_length=200, blank=True)
    # One message per side effect: derived from the outbox row that sends it (core/outbox.py), so
    # a row run twice finds its message here instead of sending it again.
    dedupe_key = models.CharField(
        _("deduplication key"), max_length=64, null=True, blank=True, unique=True, editable=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("message")
        verbose_name_plural = _("outbox")
        indexes = [models.Index(fields=["ref", "kind", "channel"])]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.kind} {self.ref} → {self.recipient_masked}"
