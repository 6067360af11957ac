"""Evaluations (好差评) of finished visits and decided requests, their follow-up cases, and the
director's mailbox (局长信箱).

Invitation links carry a random token; only its SHA-256 is stored. Residents' contact data (the
phone and e-mail an invitation was sent to, a mailbox writer's name, phone and e-mail) is stored
encrypted (core/crypto.py) and dropped by the retention job; ratings, tags, office, service,
counter and dates stay for the statistics.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.crypto import decrypt_text
from core.uploads import private_storage
from services.models import Counter, Office, Service

from .constants import (
    COMMENT_MAX,
    CaseStatus,
    InvitationKind,
    MailboxCategory,
    MailboxStatus,
)


def _plain(token: str) -> str:
    return decrypt_text(token) if token else ""


class Invitation(models.Model):
    """One link per visit or request (unique on kind + subject), valid once, for a few days."""

    encrypted_fields = {"phone_enc": None, "email_enc": None}  # for `manage.py rotate_keys`

    kind = models.CharField(_("kind"), max_length=10, choices=InvitationKind.choices)
    subject_ref = models.CharField(
        _("about"), max_length=64, help_text=_("What was rated, e.g. ticket:123.")
    )
    office = models.ForeignKey(
        Office, on_delete=models.PROTECT, related_name="+", verbose_name=_("office")
    )
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="+", verbose_name=_("service")
    )
    counter = models.ForeignKey(
        Counter,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("counter"),
    )
    visit_at = models.DateTimeField(_("visit or decision"))
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    phone_enc = models.TextField(blank=True, editable=False)
    email_enc = models.TextField(blank=True, editable=False)
    language = models.CharField(max_length=10, default="zh-hans")
    created_at = models.DateTimeField(_("invited at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("evaluation invitation")
        verbose_name_plural = _("evaluation invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject_ref"], name="invitation_one_per_subject"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.subject_ref}"

    @property
    def phone(self) -> str:
        return _plain(self.phone_enc)

    @property
    def email(self) -> str:
        return _plain(self.email_enc)


class Evaluation(models.Model):
    """A resident's rating. It names nobody: no name, no contact (those stay on the invitation
    until the retention job drops them)."""

    invitation = models.OneToOneField(
        Invitation, on_delete=models.PROTECT, related_name="evaluation", editable=False
    )
    kind = models.CharField(_("kind"), max_length=10, choices=InvitationKind.choices)
    office = models.ForeignKey(
        Office, on_delete=models.PROTECT, related_name="evaluations", verbose_name=_("office")
    )
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="evaluations", verbose_name=_("service")
    )
    counter = models.ForeignKey(
        Counter,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="evaluations",
        verbose_name=_("counter"),
    )
    visit_on = models.DateField(_("day of the visit"), db_index=True)
    rating = models.PositiveSmallIntegerField(
        _("rating"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("comment"), max_length=COMMENT_MAX, blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    created_at = models.DateTimeField(_("rated at"), auto_now_add=True)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1, rating__lte=5), name="evaluation_rating_1_to_5"
            )
        ]
        indexes = [models.Index(fields=["visit_on", "office"])]

    def __str__(self) -> str:
        return f"{self.office} {self.visit_on} {self.rating}"


class FollowUpCase(models.Model):
    """Opened by a rating of 1 or 2, for the office's managers, with a deadline."""

    evaluation = models.OneToOneField(
        Evaluation, on_delete=models.PROTECT, related_name="case", verbose_name=_("evaluation")
    )
    office = models.ForeignKey(
        Office, on_delete=models.PROTECT, related_name="followup_cases", verbose_name=_("office")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN
    )
    due_on = models.DateField(_("due on"), db_index=True)
    action_taken = models.TextField(_("what was done"), blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    created_at = models.DateTimeField(_("opened at"), auto_now_add=True)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("follow-up case")
        verbose_name_plural = _("follow-up cases")

    def __str__(self) -> str:
        return f"#{self.pk} {self.office}"


class MailboxItem(models.Model):
    """A complaint or request to the director's mailbox. The reference alone reveals nothing:
    following it needs the follow-up code too (stored as a keyed digest)."""

    encrypted_fields = {"name_enc": None, "phone_enc": "phone_hmac", "email_enc": "email_hmac"}

    reference = models.CharField(_("reference"), max_length=12, unique=True, editable=False)
    follow_code_hmac = models.CharField(max_length=64, editable=False)
    category = models.CharField(_("category"), max_length=15, choices=MailboxCategory.choices)
    office = models.ForeignKey(
        Office, on_delete=models.PROTECT, related_name="mailbox_items", verbose_name=_("office")
    )
    subject = models.CharField(_("subject"), max_length=100)
    text = models.TextField(_("text"))
    name_enc = models.TextField(blank=True, editable=False)
    phone_enc = models.TextField(blank=True, editable=False)
    phone_hmac = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    phone_masked = models.CharField(_("mobile number"), max_length=11, blank=True)
    email_enc = models.TextField(blank=True, editable=False)
    # The address lower-cased, as accounts stores a verified one: a resident's export finds it.
    email_hmac = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    # A FileField, so that core.uploads' orphan sweep sees the file is in use.
    attachment = models.FileField(
        storage=private_storage, max_length=200, blank=True, editable=False
    )
    attachment_name = models.CharField(_("attachment"), max_length=120, blank=True)
    attachment_type = models.CharField(max_length=40, blank=True, editable=False)
    language = models.CharField(max_length=10, default="zh-hans")
    status = models.CharField(
        _("status"), max_length=10, choices=MailboxStatus.choices, default=MailboxStatus.RECEIVED
    )
    due_on = models.DateField(_("answer due on"), db_index=True)
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("mailbox item")
        verbose_name_plural = _("director's mailbox")

    def __str__(self) -> str:
        return self.reference

    @property
    def name(self) -> str:
        return _plain(self.name_enc)

    @property
    def phone(self) -> str:
        return _plain(self.phone_enc)

    @property
    def email(self) -> str:
        return _plain(self.email_enc)


class InviteCursor(models.Model):
    """How far the beat job has invited for finished tickets ("since the last run")."""

    name = models.CharField(max_length=20, unique=True)
    position = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} {self.position}"
