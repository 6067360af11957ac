"""Forms of the residents' account pages. They parse and check input; the rules live in
accounts/actions/."""

import re
import unicodedata

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.forms import Form
from core.privacy import NoticeVersionField, check_notice_version

_PHONE = re.compile(r"1[0-9]{10}")
_CODE = re.compile(r"[0-9]{6}")


def _attrs(autocomplete: str, **extra: str) -> dict[str, str]:
    return {"autocomplete": autocomplete, **extra}


def normalize_contact(value: str) -> str:
    """A mobile number (11 digits starting with 1) or an e-mail address, as stored: full-width
    characters folded (Chinese input methods type １３８), spaces and dashes dropped from a
    number, an address lower-cased. Raises ValidationError."""
    text = unicodedata.normalize("NFKC", value or "").strip()
    if "@" in text:
        address = text.lower()
        validate_email(address)
        if len(address) > 150:  # it becomes the username
            raise ValidationError(_("This e-mail address is too long."), code="email")
        return address
    digits = re.sub(r"[\s-]", "", text)
    if digits.startswith("+86"):
        digits = digits[3:]
    if not _PHONE.fullmatch(digits):
        raise ValidationError(
            _("Enter a mobile number (11 digits starting with 1) or an e-mail address."),
            code="contact",
        )
    return digits


class ContactField(forms.CharField):
    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("label", _("Mobile number or e-mail"))
        kwargs.setdefault("max_length", 254)
        kwargs.setdefault("widget", forms.TextInput(attrs=_attrs("username", spellcheck="false")))
        super().__init__(**kwargs)

    def clean(self, value):
        return normalize_contact(super().clean(value))


class NewPasswordMixin:
    """Two password fields checked with the project's password validators."""

    def _new_password_fields(self) -> None:
        self.fields["password1"] = forms.CharField(
            label=_("Password"),
            strip=False,
            widget=forms.PasswordInput(attrs=_attrs("new-password")),
            help_text=_(
                "At least 8 characters, not only digits, not a common password and not like "
                "your mobile number or e-mail address."
            ),
        )
        self.fields["password2"] = forms.CharField(
            label=_("Password again"),
            strip=False,
            widget=forms.PasswordInput(attrs=_attrs("new-password")),
        )

    def _check_passwords(self, cleaned: dict, contact: str | None) -> None:
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if not first or not second:
            return
        if first != second:
            self.add_error("password2", _("The two passwords differ."))
            return
        # The validators compare the password with the account's username and contacts.
        email = contact if contact and "@" in contact else ""
        probe = User(username=contact or "", email=email, phone="" if email else contact or "")
        try:
            password_validation.validate_password(first, probe)
        except ValidationError as error:
            self.add_error("password1", error)


class SignupForm(NewPasswordMixin, Form):
    contact = ContactField(
        help_text=_("We send a 6-digit code there to check that it is yours."),
    )
    consent = forms.BooleanField(
        label=_(
            "I agree that my mobile number or e-mail address is kept for my account until I "
            "delete it."
        ),
        error_messages={"required": _("Please agree so that we can keep your account.")},
        widget=forms.CheckboxInput(attrs={"aria-describedby": "privacy-note"}),
    )
    notice_version = NoticeVersionField()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._new_password_fields()
        self.order_fields(["contact", "password1", "password2", "consent", "notice_version"])

    def clean(self) -> dict:
        cleaned = super().clean()
        self._check_passwords(cleaned, cleaned.get("contact"))
        check_notice_version(self)
        return cleaned


class CodeForm(Form):
    code = forms.CharField(
        label=_("6-digit code"),
        max_length=12,
        widget=forms.TextInput(
            attrs=_attrs("one-time-code", inputmode="numeric", maxlength="6", spellcheck="false")
        ),
    )

    def clean_code(self) -> str:
        code = unicodedata.normalize("NFKC", self.cleaned_data["code"]).replace(" ", "")
        if not _CODE.fullmatch(code):
            raise ValidationError(_("The code has 6 digits."), code="format")
        return code


class ResetCodeForm(NewPasswordMixin, CodeForm):
    def __init__(self, *args, contact: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.contact = contact
        self._new_password_fields()
        self.fields["password1"].label = _("New password")
        self.fields["password2"].label = _("New password again")

    def clean(self) -> dict:
        cleaned = super().clean()
        self._check_passwords(cleaned, self.contact)
        return cleaned


class SigninForm(Form):
    contact = ContactField()
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs=_attrs("current-password")),
    )


class ResetStartForm(Form):
    contact = ContactField(help_text=_("The one you signed up with. We send a code there."))


class DeleteForm(Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs=_attrs("current-password")),
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise ValidationError(_("This password is wrong."), code="password")
        return password
