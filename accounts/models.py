from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


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
