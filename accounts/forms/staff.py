"""Forms of the staff sign-in."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from accounts.selectors import staff_may_sign_in


class StaffSignInForm(AuthenticationForm):
    """Username and password; `authenticate()` receives the request, so django-axes counts the
    failures per username and address."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "not_staff": _(
            "This account has no staff access. Residents sign in on the resident pages."
        ),
    }

    def __init__(self, request=None, *args, **kwargs) -> None:
        super().__init__(request, *args, **kwargs)
        self.fields["username"].widget.attrs.update(autocomplete="username", autocapitalize="none")
        self.fields["password"].widget.attrs.update(autocomplete="current-password")

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if not staff_may_sign_in(user):
            raise forms.ValidationError(self.error_messages["not_staff"], code="not_staff")


class OtpCodeForm(forms.Form):
    otp = forms.CharField(
        label=_("Code"),
        max_length=20,
        help_text=_(
            "The 6-digit code shown in your authenticator app, or one of your backup codes."
        ),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "none",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )


class TotpConfirmForm(forms.Form):
    otp = forms.CharField(
        label=_("Code from the app"),
        max_length=10,
        help_text=_("Enter the 6-digit code the app now shows for OneWindow."),
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9 ]*"}
        ),
    )
