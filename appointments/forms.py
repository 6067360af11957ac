"""Forms of the resident's booking pages. They parse and check input; the rules live in actions."""

import uuid

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from core.forms import Form
from core.idnumbers import validate_id_number
from core.privacy import NoticeVersionField, check_notice_version
from services.models import District

mobile_validator = RegexValidator(
    r"^1\d{10}$", _("A mobile number has 11 digits and starts with 1."), code="phone"
)
last4_validator = RegexValidator(
    r"^\d{3}[\dXx]$",
    _("Enter the last 4 characters of the ID number (digits; the last may be X)."),
    code="last4",
)


def _text(autocomplete: str, **attrs: str) -> dict[str, str]:
    return {"autocomplete": autocomplete, **attrs}


class ServiceSearchForm(Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)


class OfficeFilterForm(Form):
    district = forms.ModelChoiceField(
        label=_("District"),
        queryset=District.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=_("All districts"),
    )


class PersonForm(Form):
    """Who the booking (or the waiting-list place) is for. Residents need no account."""

    name = forms.CharField(
        label=_("Full name"),
        max_length=50,
        help_text=_("As written on your ID card."),
        widget=forms.TextInput(attrs=_text("name")),
    )
    id_number = forms.CharField(
        label=_("ID number"),
        max_length=22,
        help_text=_("18 characters; the last one may be X. It is checked at the counter."),
        widget=forms.TextInput(attrs=_text("off", autocapitalize="characters", spellcheck="false")),
    )
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=11,
        validators=[mobile_validator],
        help_text=_("11 digits. We send the confirmation and a reminder by SMS."),
        widget=forms.TextInput(
            attrs=_text("tel-national", type="tel", inputmode="numeric", maxlength="11")
        ),
    )
    email = forms.EmailField(
        label=_("E-mail (optional)"),
        required=False,
        help_text=_("To receive the confirmation PDF and a calendar file."),
        widget=forms.EmailInput(attrs=_text("email")),
    )
    consent = forms.BooleanField(
        label=_(
            "I agree that my name, ID number and mobile number are used for this appointment "
            "and kept as the law requires."
        ),
        error_messages={"required": _("Please agree so that we can keep your appointment.")},
        widget=forms.CheckboxInput(attrs={"aria-describedby": "privacy-note"}),
    )
    notice_version = NoticeVersionField()

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Enter your name."), code="required")
        return name

    def clean_id_number(self) -> str:
        return validate_id_number(self.cleaned_data["id_number"])

    def clean_phone(self) -> str:
        return self.cleaned_data["phone"].strip()

    def clean(self) -> dict:
        cleaned = super().clean()
        check_notice_version(self)
        return cleaned


class BookingDetailsForm(PersonForm):
    # A fresh token per rendered form: a double submit replays the first answer.
    token = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.order_fields(
            ["name", "id_number", "phone", "email", "consent", "notice_version", "token"]
        )


class WaitingJoinForm(PersonForm):
    pass


class BookingLookupForm(Form):
    code = forms.CharField(
        label=_("Booking code"),
        max_length=12,
        help_text=_("8 characters, e.g. K7WP3RZD. It is on the confirmation SMS and PDF."),
        widget=forms.TextInput(attrs=_text("off", autocapitalize="characters", spellcheck="false")),
    )
    id_last4 = forms.CharField(
        label=_("Last 4 characters of the ID number"),
        min_length=4,
        max_length=4,
        validators=[last4_validator],
        widget=forms.TextInput(
            attrs=_text("off", autocapitalize="characters", spellcheck="false", maxlength="4")
        ),
    )

    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip().upper().replace(" ", "").replace("-", "")

    def clean_id_last4(self) -> str:
        return self.cleaned_data["id_last4"].strip().upper()


class BookingAttachForm(Form):
    """A booking made without an account, added to it by its code and the full ID number."""

    code = BookingLookupForm.base_fields["code"]
    id_number = forms.CharField(
        label=_("ID number"),
        max_length=22,
        help_text=_("All 18 characters of the ID number the booking was made for."),
        widget=forms.TextInput(attrs=_text("off", autocapitalize="characters", spellcheck="false")),
    )

    clean_code = BookingLookupForm.clean_code

    def clean_id_number(self) -> str:
        return validate_id_number(self.cleaned_data["id_number"])
