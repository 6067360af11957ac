import datetime as dt
import hashlib
import json

from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from core.privacy import notice_version_model_field


class User(AbstractUser):
    """Staff and (later) residents. Custom from the first migration so it can grow."""

    phone = models.CharField(_("mobile number"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")


_RATE = RegexValidator(
    r"^[1-9][0-9]*/(second|minute|hour|day)$",
    _("Write a number of requests per second, minute, hour or day, e.g. 120/minute."),
)


class ApiClient(models.Model):
    """A partner system that may write through the API (`Authorization: Token …`).

    Only a SHA-256 hash of the token is kept; the token itself is shown once, when created.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    token_prefix = models.CharField(
        _("token prefix"),
        max_length=8,
        db_index=True,
        editable=False,
        help_text=_("The first characters of the token, to recognise it."),
    )
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Untick to revoke the token at once.")
    )
    rate = models.CharField(
        _("rate limit"),
        max_length=20,
        default="120/minute",
        blank=True,
        validators=[_RATE],
        help_text=_("Requests allowed to this client, e.g. 120/minute; empty: the default."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    """Roles by post, not by rank."""

    CLERK = "clerk", _("Counter clerk")
    REVIEWER = "reviewer", _("Reviewer")
    MANAGER = "manager", _("Office manager")
    AUDITOR = "auditor", _("Auditor")
    SYSADMIN = "sysadmin", _("System administrator")


class StaffRole(models.Model):
    """A staff member holds a role at an office; an empty office means every office (bureau)."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="staff_roles", verbose_name=_("staff member")
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    # A string reference: accounts sits below services in the import order.
    office = models.ForeignKey(
        "services.Office",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="staff_roles",
        verbose_name=_("office"),
        help_text=_("Empty: every office of the bureau."),
    )
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)

    class Meta:
        ordering = ["user", "role"]
        verbose_name = _("staff role")
        verbose_name_plural = _("staff roles")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "office"], name="staffrole_unique_per_office"
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=models.Q(office__isnull=True),
                name="staffrole_unique_bureau_wide",
            ),
        ]

    def __str__(self) -> str:
        where = self.office if self.office_id else _("all offices")
        return f"{self.user} · {self.get_role_display()} · {where}"


class ResidentProfile(models.Model):
    """What makes a `User` a resident (no staff role): verified contacts and, once a booking
    has been attached, the keyed digest of the resident's ID number (never the number itself)."""

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="resident_profile", verbose_name=_("user")
    )
    # Filled only once a code sent there has been entered: an unverified claim is on `User`.
    verified_phone = models.CharField(_("verified mobile number"), max_length=11, blank=True)
    verified_email = models.EmailField(_("verified e-mail"), blank=True)
    id_number_hmac = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    id_masked = models.CharField(_("ID number"), max_length=18, blank=True)
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    privacy_notice_version = notice_version_model_field()
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("resident profile")
        verbose_name_plural = _("resident profiles")
        constraints = [
            models.UniqueConstraint(
                fields=["verified_phone"],
                condition=~models.Q(verified_phone=""),
                name="resident_unique_verified_phone",
            ),
            models.UniqueConstraint(
                fields=["verified_email"],
                condition=~models.Q(verified_email=""),
                name="resident_unique_verified_email",
            ),
        ]

    def __str__(self) -> str:
        return str(self.user)


class CodePurpose(models.TextChoices):
    SIGNUP = "signup", _("Sign-up")
    LOGIN = "login", _("Sign-in")
    RESET = "reset", _("Password reset")


class VerificationCode(models.Model):
    """A 6-digit code sent by SMS or e-mail. Only a keyed digest of the code is kept, and the
    destination only as a keyed digest too: this table never holds a usable code or address."""

    purpose = models.CharField(_("purpose"), max_length=10, choices=CodePurpose.choices)
    destination_hmac = models.CharField(max_length=64, db_index=True)
    code_hash = models.CharField(max_length=64)
    # Set by the action (not auto_now_add) so that rate limits and expiry share one clock.
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    attempts = models.PositiveSmallIntegerField(_("wrong attempts"), default=0)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("verification code")
        verbose_name_plural = _("verification codes")
        indexes = [models.Index(fields=["destination_hmac", "purpose", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} {self.created_at:%Y-%m-%d %H:%M}"


# --- The audit trail (accounts/audit.py writes it; nothing else may) --------------------------


class AuditTrailImmutable(DomainError):
    code = "audit_immutable"
    status = 403
    message = _("The audit trail can only be appended to.")


class AuditAction(models.TextChoices):
    VIEW = "view", _("Viewed")
    CREATE = "create", _("Created")
    CHANGE = "change", _("Changed")
    DELETE = "delete", _("Deleted")
    STATUS_CHANGE = "status_change", _("Status changed")
    SIGN_IN = "sign_in", _("Signed in")
    SIGN_IN_FAILED = "sign_in_failed", _("Sign-in failed")
    SIGN_OUT = "sign_out", _("Signed out")
    ROLE_CHANGE = "role_change", _("Roles changed")
    EXPORT = "export", _("Exported")
    LOCKOUT = "lockout", _("Locked out")
    LOCKOUT_LIFTED = "lockout_lifted", _("Lock lifted")
    LOOKUP_FAILED = "lookup_failed", _("Look-up failed")
    LOOKUP_LOCKED = "lookup_locked", _("Look-up locked")
    ANONYMISE = "anonymise", _("Anonymised")
    PURGE = "purge", _("Purged")


class AuditEntryQuerySet(models.QuerySet):
    """Bulk writes would bypass accounts.audit: refused. (The database trigger on PostgreSQL
    refuses raw SQL too; `verify_audit` detects what gets past both.)"""

    def update(self, **kwargs):
        raise AuditTrailImmutable()

    def delete(self):
        raise AuditTrailImmutable()

    def bulk_update(self, objs, fields, batch_size=None):
        raise AuditTrailImmutable()

    def bulk_create(self, objs, *args, **kwargs):
        raise AuditTrailImmutable()


def canonical_json(value: dict) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class AuditEntry(models.Model):
    """Who did what to which record, when, from where. Append-only: an entry is one INSERT in
    the transaction of the change it records, numbered by the table's own sequence (`id`) and
    chained by nobody at that moment. The sealer (accounts.audit.audit_seal) later hashes the
    entries in id order into signed batches (`AuditBatch`); `manage.py verify_audit` then finds
    any sealed entry changed, removed or inserted behind the application's back."""

    timestamp = models.DateTimeField(_("time"), db_index=True, editable=False)
    # SET_NULL is the one change the trigger allows (deleting a resident's account must work);
    # `actor_id` is therefore outside the hash and `actor_username` keeps who it was.
    actor = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff member"),
    )
    actor_username = models.CharField(_("username"), max_length=150, blank=True, db_index=True)
    action = models.CharField(_("action"), max_length=20, choices=AuditAction.choices)
    object_type = models.CharField(_("record type"), max_length=100, blank=True)
    object_id = models.CharField(_("record id"), max_length=64, blank=True)
    object_label = models.CharField(_("record"), max_length=200, blank=True)
    office_id = models.IntegerField(_("office"), null=True, blank=True, db_index=True)
    # pii_hmac of the resident's ID number: searchable by ID number, which is never stored.
    subject_hmac = models.CharField(max_length=64, blank=True, db_index=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=255, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        default_permissions = ("view",)  # nobody is ever granted add, change or delete
        indexes = [models.Index(fields=["action", "timestamp"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_action_display()} {self.object_label}".strip()

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditTrailImmutable()
        if not getattr(self, "_written_by_audit", False):
            raise AuditTrailImmutable(_("Audit entries are written by accounts.audit only."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditTrailImmutable()

    def canonical_fields(self) -> dict:
        """The sealed content, in a form that reads back identically from every database."""
        stamp = self.timestamp.astimezone(dt.UTC).isoformat(timespec="microseconds")
        return {
            "id": self.pk,
            "timestamp": stamp,
            "actor_username": self.actor_username,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "object_label": self.object_label,
            "office_id": self.office_id,
            "subject_hmac": self.subject_hmac,
            "ip": self.ip,
            "user_agent": self.user_agent,
            "details": self.details,
        }

    def leaf_hash(self) -> str:
        """SHA-256 of the entry's canonical JSON, its number included: what a batch seals."""
        return hashlib.sha256(canonical_json(self.canonical_fields())).hexdigest()


class AuditBatchQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditTrailImmutable()

    def delete(self):
        raise AuditTrailImmutable()


class AuditBatch(models.Model):
    """The entries with `first_id` <= id <= `last_id`, sealed: `leaves` lists each entry's number
    and hash (so `verify_audit` can name the one entry that changed or went missing), `root` is
    the SHA-256 of that list, and `head` the SHA-256 of this batch's fields with the previous
    batch's head. The head is signed with the issuer's Ed25519 key (core.signing), published at
    /.well-known/onewindow-audit-heads.json and appended to a file outside the database
    (AUDIT_HEAD_EXPORT_DIR). Never changed or deleted, not even by a retention purge."""

    number = models.PositiveBigIntegerField(_("number"), unique=True)
    first_id = models.PositiveBigIntegerField()
    last_id = models.PositiveBigIntegerField()
    count = models.PositiveIntegerField()
    # The newest entry's time: a purge may only take batches entirely older than its cut-off.
    newest_at = models.DateTimeField()
    leaves = models.TextField()
    root = models.CharField(max_length=64)
    prev_head = models.CharField(max_length=64)
    sealed_at = models.DateTimeField()
    head = models.CharField(max_length=64, unique=True)
    key_id = models.CharField(max_length=16)
    signature = models.CharField(max_length=100)

    objects = AuditBatchQuerySet.as_manager()

    class Meta:
        ordering = ["number"]
        verbose_name = _("sealed audit batch")
        verbose_name_plural = _("sealed audit batches")
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"#{self.number} ({self.first_id}-{self.last_id})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditTrailImmutable()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditTrailImmutable()

    def head_fields(self) -> dict:
        return {
            "v": 1,
            "number": self.number,
            "first_id": self.first_id,
            "last_id": self.last_id,
            "count": self.count,
            "newest_at": self.newest_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
            "root": self.root,
            "prev_head": self.prev_head,
            "sealed_at": self.sealed_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        }

    def compute_head(self) -> str:
        return hashlib.sha256(canonical_json(self.head_fields())).hexdigest()

    def leaf_pairs(self) -> list[tuple[int, str]]:
        pairs = []
        for line in self.leaves.splitlines():
            number, _sep, digest = line.partition(" ")
            pairs.append((int(number), digest))
        return pairs

    def published(self) -> dict:
        """What the well-known URL and the export file show of this batch."""
        return {
            **self.head_fields(),
            "head": self.head,
            "key_id": self.key_id,
            "signature": self.signature,
        }


class LookupLock(models.Model):
    """Wrong answers to one secret look-up target (a booking's code + ID digits, a mailbox
    message's reference + follow-up code), counted per target rather than per address: after
    LOOKUP_GUARD["FAILURE_LIMIT"] in LOOKUP_GUARD["WINDOW_HOURS"] the target is locked for
    everyone until its holder unlocks it (the SMS link) or a clerk does at the counter."""

    kind = models.CharField(_("kind"), max_length=20)
    target = models.CharField(_("reference"), max_length=64)
    office_id = models.IntegerField(_("office"), null=True, blank=True)
    # The holder's mobile number (encrypted, core.crypto) and language, for the unlock SMS.
    phone_encrypted = models.TextField(blank=True)
    language = models.CharField(max_length=10, blank=True)
    failures = models.JSONField(default=list, blank=True)  # ISO times of recent wrong answers
    locked_at = models.DateTimeField(_("locked at"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("look-up lock")
        verbose_name_plural = _("look-up locks")
        constraints = [
            models.UniqueConstraint(fields=["kind", "target"], name="lookup_lock_per_target")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.target}"
