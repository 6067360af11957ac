"""Forms of the document pages. They parse and check input (ID numbers in full, uploads by
content through core.uploads); the rules of the workflow live in actions."""

import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from core.forms import Form
from core.uploads import CheckedUpload, PendingUpload, check_upload, pending_uploads_load

from .constants import MaterialKind
from .definitions import localized

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


def _id_field(label, required: bool = False, help_text=None) -> forms.CharField:
    return forms.CharField(
        label=label, max_length=22, required=False,
        help_text=help_text or _("18 characters; the last one may be X."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters",
                                      "spellcheck": "false",
                                      **({"aria-required": "true"} if required else {})}),
    )


REQUIRED = {"aria-required": "true"}
YES_NO = [("true", gettext_lazy("Yes")), ("false", gettext_lazy("No"))]
ACCEPTS = {"pdf": "application/pdf,.pdf", "jpeg": "image/jpeg,.jpg,.jpeg", "png": "image/png,.png"}


def _answer_fields(field: dict) -> dict[str, forms.Field]:
    """The Django fields that parse one configured field (a date range: two). They parse only:
    required, lengths and options are the rules request_apply checks."""
    label, help_text = localized(field, "label"), localized(field, "help")
    attrs = dict(REQUIRED) if field.get("required") else {}
    kind, key = field["type"], field["key"]
    common = {"label": label, "help_text": help_text, "required": False}
    if kind == "date_range":
        return {
            f"{key}_from": forms.DateField(label=f"{label} · {_('from')}", required=False,
                                           widget=forms.DateInput(attrs={"type": "date", **attrs})),
            f"{key}_to": forms.DateField(label=f"{label} · {_('until')}", required=False,
                                         widget=forms.DateInput(attrs={"type": "date", **attrs})),
        }
    if kind == "date":
        made: forms.Field = forms.DateField(
            **common, widget=forms.DateInput(attrs={"type": "date", **attrs}))
    elif kind == "choice":
        made = forms.ChoiceField(
            **common, choices=[(o["value"], localized(o, "label")) for o in field["choices"]],
            widget=forms.RadioSelect(attrs=attrs))
    elif kind == "yes_no":
        made = forms.TypedChoiceField(**common, choices=YES_NO, coerce=lambda v: v == "true",
                                      empty_value=None, widget=forms.RadioSelect(attrs=attrs))
    elif kind == "number":
        made = forms.DecimalField(**common, widget=forms.NumberInput(attrs=attrs))
    elif kind == "id_number":
        made = _id_field(label, bool(attrs), help_text or None)
    elif kind == "mobile":
        made = forms.CharField(**common, max_length=20, widget=forms.TextInput(
            attrs={"type": "tel", "inputmode": "numeric", **attrs}))
    else:
        widget = forms.Textarea(attrs={"rows": 2, **attrs}) if kind == "address" else (
            forms.TextInput(attrs=attrs))
        made = forms.CharField(**common, max_length=1000, widget=widget)
    return {key: made}


def _as_text(value: object) -> str:
    """A show_if value as the page's inputs spell it (true/false for yes/no)."""
    return "true" if value is True else "false" if value is False else str(value)


class ApplicationForm(Form):
    """The application page of a configured service: the applicant block every service asks,
    then the fields and the materials of the service's form version. It parses; the rules are
    request_apply's, whose refusals come back onto the fields (apply_errors)."""

    token = forms.CharField(widget=forms.HiddenInput, required=False)
    # A signed token naming the files kept from an earlier attempt (core.uploads.pending_*).
    pending = forms.CharField(widget=forms.HiddenInput, required=False)
    office = forms.ModelChoiceField(
        label=_("Reviewing office"), queryset=None, to_field_name="code", required=False,
        empty_label=_("Choose an office"), widget=forms.Select(attrs=REQUIRED),
    )
    applicant_name = forms.CharField(
        label=_("Your full name"), max_length=50, help_text=_("As written on your ID card."),
        required=False, widget=forms.TextInput(attrs={"autocomplete": "name", **REQUIRED}),
    )
    applicant_id = _id_field(_("Your ID number"), required=True)
    phone = forms.CharField(
        label=_("Mobile number"), max_length=20, required=False,
        help_text=_("We tell you by SMS when the request changes."),
        widget=forms.TextInput(attrs={"autocomplete": "tel-national", "type": "tel",
                                      "inputmode": "numeric", **REQUIRED}),
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
    COMMON = ("applicant_name", "applicant_id", "phone", "email", "on_behalf", "holder_name",
              "holder_id")

    def __init__(self, *args, version, offices, owner: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.version = version
        self.owner = owner
        self.pending: dict[str, PendingUpload] = {}
        self.fields["office"].queryset = offices
        if not self.is_bound and not self.initial.get("token"):
            self.initial["token"] = uuid.uuid4().hex
        self.answer_names: list[str] = []
        self.groups: list[tuple[dict, list[str]]] = []
        for spec in version.fields:
            made = _answer_fields(spec)
            self.fields.update(made)
            self.answer_names.extend(made)
            self.groups.append((spec, list(made)))
        self.FILE_KINDS: dict[str, str] = {}
        for spec in version.materials:
            self.fields[spec["kind"]] = UploadField(
                label=localized(spec, "label"), required=False,
                help_text=localized(spec, "help") or FILE_HELP,
                widget=forms.ClearableFileInput(attrs={"accept": ",".join(
                    ACCEPTS[f] for f in spec.get("formats", ACCEPTS))}),
            )
            self.FILE_KINDS[spec["kind"]] = spec["kind"]

    def clean(self):
        data = super().clean()
        self._use_pending(data)
        return data

    def field_groups(self) -> list[dict]:
        """The configured questions for the template: a date range or a radio group is one
        group with a shared label (role=group), the rest one field each."""
        return [{
            "key": spec["key"], "type": spec["type"], "label": localized(spec, "label"),
            "help": localized(spec, "help"), "required": bool(spec.get("required")),
            "show_key": (spec.get("show_if") or {}).get("key", ""),
            "show_equals": _as_text((spec.get("show_if") or {}).get("equals", "")),
            "fields": [self[n] for n in names],
        } for spec, names in self.groups]

    def material_fields(self) -> list:
        return [self[kind] for kind in self.FILE_KINDS]

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

    def person(self) -> dict:
        data = self.cleaned_data
        values = {name: data.get(name) or "" for name in self.COMMON}
        values["on_behalf"] = bool(data.get("on_behalf"))
        return values

    def answers(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.answer_names
                if self.cleaned_data.get(name) not in (None, "")}

    def uploads(self) -> list[tuple[str, CheckedUpload]]:
        return [(kind, self.cleaned_data[kind]) for kind in self.FILE_KINDS
                if self.cleaned_data.get(kind)]

    def apply_errors(self, errors: dict[str, list[str]]) -> None:
        """request_apply's refusals, each on its field (the rest above the form)."""
        for key, messages in errors.items():
            name = key if key in self.fields else None
            for message in messages:
                self.add_error(name, message)


class ResubmitForm(Form):
    reply = forms.CharField(
        label=_("Your reply"), max_length=1000, required=False, widget=forms.Textarea(
            attrs={"rows": 3}
        ),
    )
    kind = forms.ChoiceField(label=_("What the file is"), choices=MaterialKind.choices,
                             initial=MaterialKind.OTHER)
    file = UploadField(label=_("File"), required=False)

    def __init__(self, *args, kinds: list[tuple[str, str]] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if kinds:
            self.fields["kind"].choices = kinds
            self.fields["kind"].initial = kinds[-1][0]

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
