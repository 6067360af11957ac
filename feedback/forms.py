"""Forms of the feedback pages. They parse and check input; the rules live in actions."""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from core.forms import Form
from core.uploads import check_upload
from services.models import Office

from .constants import (
    ACTION_MAX,
    COMMENT_MAX,
    MAILBOX_ANSWER_MAX,
    MAILBOX_TEXT_MAX,
    RATING_LABELS,
    TAGS,
    MailboxCategory,
    tags_for,
)

mobile_validator = RegexValidator(
    r"^1\d{10}$", _("A mobile number has 11 digits and starts with 1."), code="phone"
)


class RatingForm(Form):
    rating = forms.TypedChoiceField(
        label=_("How satisfied are you with this service?"),
        choices=[(value, label) for value, label in RATING_LABELS.items()],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Please choose a rating from 1 to 5.")},
    )
    tags = forms.MultipleChoiceField(
        label=_("What stood out? (optional)"),
        choices=list(TAGS.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": str(COMMENT_MAX)}),
    )

    def __init__(self, *args, kind: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if kind is not None:  # only the tags that fit a counter visit or an online request
            self.fields["tags"].choices = list(tags_for(kind).items())
        self.fields["comment"].help_text = _(
            "At most %(max)s characters. Please do not write your ID number here."
        ) % {"max": COMMENT_MAX}


class MailboxForm(Form):
    category = forms.ChoiceField(label=_("Kind of message"), choices=MailboxCategory.choices)
    office = forms.ModelChoiceField(
        label=_("Office concerned"),
        queryset=Office.objects.filter(is_active=True).select_related("district"),
        to_field_name="code",
        empty_label=_("Choose an office"),
    )
    subject = forms.CharField(label=_("Subject"), max_length=100)
    text = forms.CharField(
        label=_("Your message"),
        max_length=MAILBOX_TEXT_MAX,
        help_text=_("What happened, when and where, and what you would like us to do."),
        widget=forms.Textarea(attrs={"rows": 8, "maxlength": str(MAILBOX_TEXT_MAX)}),
    )
    name = forms.CharField(
        label=_("Your name"), max_length=50, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=11,
        validators=[mobile_validator],
        help_text=_("11 digits. We send your reference and follow-up code by SMS."),
        widget=forms.TextInput(
            attrs={"autocomplete": "tel-national", "type": "tel", "inputmode": "numeric"}
        ),
    )
    email = forms.EmailField(
        label=_("E-mail (optional)"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    attachment = forms.FileField(
        label=_("Attachment (optional)"),
        required=False,
        help_text=_("One PDF, JPEG or PNG file, e.g. a photo or a receipt."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )

    def clean_attachment(self):
        upload = self.cleaned_data.get("attachment")
        if not upload:
            return None
        try:
            return check_upload(upload)
        except ValidationError as error:
            raise ValidationError(error.messages, code=getattr(error, "code", None)) from None


class FollowForm(Form):
    reference = forms.CharField(
        label=_("Reference"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
    code = forms.CharField(
        label=_("Follow-up code"),
        max_length=10,
        help_text=_("The 6 digits shown after you sent your message and sent to you by SMS."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )


class CaseCloseForm(Form):
    action_taken = forms.CharField(
        label=_("What was done"),
        max_length=ACTION_MAX,
        help_text=_("The resident receives this text by SMS and e-mail."),
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class MailboxAnswerForm(Form):
    answer = forms.CharField(
        label=_("Answer"),
        max_length=MAILBOX_ANSWER_MAX,
        help_text=_("The resident is told by SMS and e-mail and reads the answer online."),
        widget=forms.Textarea(attrs={"rows": 8}),
    )
