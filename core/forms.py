"""The base of every form a person fills in on the site.

Labels carry no trailing colon (the pages put each label on its own line), and a missing answer
names its field: "请填写“姓名”。" instead of Django's "这个字段是必填项。", which says nothing once
the message is read out by a screen reader or shown in the error summary at the top of a form.
A field with its own "required" message keeps it."""

from typing import Any

from django import forms
from django.utils.translation import gettext as _

_DJANGO_REQUIRED = forms.Field.default_error_messages["required"]


def required_message(field: forms.Field) -> str:
    values = {"field": field.label}
    if isinstance(field, forms.BooleanField):
        return _("Please tick “%(field)s”.") % values
    if isinstance(field, forms.FileField):
        return _("Please attach “%(field)s”.") % values
    if isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
        return _("Please choose “%(field)s”.") % values
    return _("Please fill in “%(field)s”.") % values


class Form(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        # In the request's language: forms are made per request (fields are copies per form).
        for field in self.fields.values():
            if field.label and field.error_messages.get("required") is _DJANGO_REQUIRED:
                field.error_messages["required"] = required_message(field)
