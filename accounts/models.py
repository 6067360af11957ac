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
