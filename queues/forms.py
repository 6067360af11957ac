"""The kiosk's two small forms: a booking code, and a walk-in's optional mobile number, ID
number (priority from 65 on) or claim of priority."""

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from core.idnumbers import validate_id_number


class UnechoedInput(forms.TextInput):
    """A text box that never writes its value back into the page: an ID number typed at a
    kiosk is not shown again to the next person, even after a refused form (and the kiosk's
    stylesheet shows what is typed as dots, for the people queueing behind)."""

    def format_value(self, value):
        return None


class KioskCodeForm(forms.Form):
    # A QR scanner types the booking code followed by Enter, like a keyboard.
    code = forms.CharField(
        label=_("Booking code"),
        max_length=40,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "autofocus": True,
                "class": "kiosk-input",
            }
        ),
    )


class KioskWalkInForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile number (optional)"),
        help_text=_("We send a text message when it is almost your turn."),
        required=False,
        max_length=11,
        validators=[
            RegexValidator(r"^1\d{10}$", _("Enter an 11-digit mobile number, or leave it empty."))
        ],
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "off",
                "class": "kiosk-input",
                "pattern": r"1\d{10}",
            }
        ),
    )
    id_number = forms.CharField(
        label=_("ID number (optional)"),
        help_text=_("Aged 65 or over? Type your ID number to be served first. It is not stored."),
        required=False,
        max_length=18,
        widget=UnechoedInput(
            attrs={
                "autocomplete": "off",
                "class": "kiosk-input kiosk-secret",
                "aria-describedby": "id-help",
            }
        ),
    )
    claims_priority = forms.BooleanField(
        label=_("I am 65 or older, or I need assistance"),
        help_text=_("The clerk checks it at the counter."),
        required=False,
    )

    def clean_id_number(self) -> str:
        value = self.cleaned_data["id_number"]
        return validate_id_number(value) if value.strip() else ""
