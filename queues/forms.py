"""The kiosk's two small forms: a booking code, and an optional mobile number for a walk-in."""

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _


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
