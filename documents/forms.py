"""Forms of the document pages. They parse and check input (ID numbers in full, uploads by
content through core.uploads); the rules of the workflow live in actions."""

import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from core.forms import Form
from core.idnumbers import validate_id_number
from core.uploads import CheckedUpload, PendingUpload, check_upload, pending_uploads_load

from .constants import MaterialKind, Purpose
from .periods import period_errors

mobile_validator = RegexValidator(
    r"^1\d{10}$", _("A mobile number has 11 digits and starts with 1."), code="phone"
)
ACCEPT = "application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png"
FILE_HELP = _("PDF, JPEG or PNG, at most 5 MB.")


class UploadField(forms.FileField):
    """A file checked by its content: the cleaned value is a core.uploads.CheckedUpload."""

    widget = forms.ClearableFileInput(attrs={"accept": ACCEPT})

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("help_text", FILE_HELP)
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if not upload or upload is initial:
            return None
        return check_upload(upload)


def _id_field(label) -> forms.CharField:
    return forms.CharField(
        label=label, max_length=22, required=False,
        help_text=_("18 characters; the last one may be X."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters",
                                      "spellcheck": "false"}),
    )


class ApplicationForm(Form):
    token = forms.CharField(widget=forms.HiddenInput, required=False)
    # A signed token naming the files kept from an earlier attempt (core.uploads.pending_*).
    pending = forms.CharField(widget=forms.HiddenInput, required=False)
    office = forms.ModelChoiceField(
        label=_("Reviewing office"), queryset=None, to_field_name="code",
        empty_label=_("Choose an office"),
    )
    applicant_name = forms.CharField(
        label=_("Your full name"), max_length=50, help_text=_("As written on your ID card."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    applicant_id = _id_field(_("Your ID number"))
    phone = forms.CharField(
        label=_("Mobile number"), max_length=11, validators=[mobile_validator],
        help_text=_("We tell you by SMS when the request changes."),
        widget=forms.TextInput(attrs={"autocomplete": "tel-national", "type": "tel",
                                      "inputmode": "numeric"}),
    )
    email = forms.EmailField(
        label=_("E-mail (optional)"), required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    on_behalf = forms.BooleanField(label=_("I am applying for someone else"), required=False)
    holder_name = forms.CharField(
        label=_("Full name of the person concerned"), max_length=50, required=False
    )
    holder_id = _id_field(_("ID number of the person concerned"))
    purpose = forms.ChoiceField(label=_("Purpose"), choices=Purpose.choices,
                                widget=forms.RadioSelect)
    purpose_other = forms.CharField(label=_("Other purpose"), max_length=100, required=False,
                                    help_text=_("Required when the purpose is “Other”."))
    receiving_org = forms.CharField(
        label=_("Receiving organisation"), max_length=100, required=False,
        help_text=_("The employer, school, embassy or agency that asks for the certificate."),
    )
    # Checked in clean() (only some document types ask for it), yet required where asked.
    period_from = forms.DateField(label=_("Period from"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date",
                                                                "aria-required": "true"}))
    period_to = forms.DateField(label=_("Period until"), required=False,
                                widget=forms.DateInput(attrs={"type": "date",
                                                              "aria-required": "true"}))
    id_front = UploadField(label=_("ID card, front"), required=False)
    id_back = UploadField(label=_("ID card, back"), required=False)
    authorisation = UploadField(
        label=_("Signed authorisation"), required=False,
        help_text=_("Required when applying for someone else. PDF, JPEG or PNG, at most 5 MB."),
    )
    other = UploadField(label=_("Other material (optional)"), required=False)

    FILE_KINDS = {
        "id_front": MaterialKind.ID_FRONT, "id_back": MaterialKind.ID_BACK,
        "authorisation": MaterialKind.AUTHORISATION, "other": MaterialKind.OTHER,
    }

    def __init__(self, *args, doc_type, offices, have_kinds=frozenset(), owner: str = "",
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.doc_type = doc_type
        self.have_kinds = set(have_kinds)
        self.owner = owner
        self.pending: dict[str, PendingUpload] = {}
        self.fields["office"].queryset = offices
        if not self.is_bound and not self.initial.get("token"):
            self.initial["token"] = uuid.uuid4().hex
        if not doc_type.asks_receiving_org:
            del self.fields["receiving_org"]
        if not doc_type.asks_period:
            del self.fields["period_from"], self.fields["period_to"]

    def _id(self, name: str, required: bool) -> str:
        value = self.cleaned_data.get(name, "")
        if not value:
            if required:
                self.add_error(name, _("Please enter the ID number."))
            return ""
        try:
            return validate_id_number(value)
        except ValidationError as error:
            self.add_error(name, error)
            return ""

    def clean(self):
        data = super().clean()
        data["applicant_id"] = self._id("applicant_id", True)
        on_behalf = data.get("on_behalf")
        if on_behalf:
            if not data.get("holder_name", "").strip():
                self.add_error("holder_name", _("Please enter the name of the person concerned."))
            data["holder_id"] = self._id("holder_id", True)
        if data.get("purpose") == Purpose.OTHER and not data.get("purpose_other", "").strip():
            self.add_error("purpose_other", _("Please describe the purpose."))
        if self.doc_type.asks_receiving_org and not data.get("receiving_org", "").strip():
            self.add_error("receiving_org", _("Please enter the receiving organisation."))
        self._clean_period(data)
        self._use_pending(data)
        self._clean_files(data, on_behalf)
        return data

    def _use_pending(self, data: dict) -> None:
        """Files kept from an earlier attempt stand in for those not chosen again."""
        if not (self.owner and data.get("pending")):
            return
        kept = pending_uploads_load(data["pending"], owner=self.owner)
        self.pending = {name: p for name, p in kept.items()
                        if name in self.FILE_KINDS and name not in self.errors}
        for name, kept_file in self.pending.items():
            if not data.get(name):
                data[name] = kept_file.checked

    def files_to_keep(self) -> dict[str, CheckedUpload]:
        """After a refusal: the files that passed their checks (kept ones included)."""
        if not hasattr(self, "cleaned_data"):
            return {}
        return {name: self.cleaned_data[name] for name in self.FILE_KINDS
                if isinstance(self.cleaned_data.get(name), CheckedUpload)}

    def _clean_period(self, data: dict) -> None:
        if not self.doc_type.asks_period:
            return
        first, last = data.get("period_from"), data.get("period_to")
        if first is None and "period_from" not in self.errors:
            self.add_error("period_from", _("Please enter the start of the period."))
        if last is None and "period_to" not in self.errors:
            self.add_error("period_to", _("Please enter the end of the period."))
        if first and last:
            holder = data.get("holder_id") if data.get("on_behalf") else data.get("applicant_id")
            found = period_errors(doc_type=self.doc_type, first=first, last=last,
                                  holder_id=holder or "")
            for field, message in found.items():
                if field not in self.errors:
                    self.add_error(field, message)

    def _clean_files(self, data: dict, on_behalf: bool) -> None:
        required = ["id_front", "id_back"] + (["authorisation"] if on_behalf else [])
        for name in required:
            if name in self.errors or data.get(name):
                continue
            if self.FILE_KINDS[name] not in self.have_kinds:
                self.add_error(name, _("Please upload this file."))

    def form_values(self) -> dict:
        """The arguments of actions.request_draft_create / request_draft_update."""
        data = self.cleaned_data
        values = {
            name: data.get(name, "") for name in (
                "applicant_name", "applicant_id", "phone", "email", "holder_name", "holder_id",
                "purpose", "purpose_other", "receiving_org",
            )
        }
        values["on_behalf"] = bool(data.get("on_behalf"))
        values["period_from"] = data.get("period_from")
        values["period_to"] = data.get("period_to")
        return values

    def uploads(self) -> list[tuple[str, object]]:
        return [(kind, self.cleaned_data[name]) for name, kind in self.FILE_KINDS.items()
                if self.cleaned_data.get(name)]


class ResubmitForm(Form):
    reply = forms.CharField(
        label=_("Your reply"), max_length=1000, required=False, widget=forms.Textarea(
            attrs={"rows": 3}
        ),
    )
    kind = forms.ChoiceField(label=_("What the file is"), choices=MaterialKind.choices,
                             initial=MaterialKind.OTHER)
    file = UploadField(label=_("File"), required=False)

    def clean(self):
        data = super().clean()
        if not data.get("reply", "").strip() and not data.get("file") and not self.errors:
            raise ValidationError(_("Please write a reply or add a file."))
        return data


class MessageForm(Form):
    message = forms.CharField(label=_("What the resident must provide"), max_length=1000,
                              widget=forms.Textarea(attrs={"rows": 3}))


class ReasonForm(Form):
    reason = forms.CharField(label=_("Reason (the resident sees it)"), max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 3}))


class OtpForm(Form):
    otp = forms.CharField(
        label=_("Code from your authenticator app"), max_length=12, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
