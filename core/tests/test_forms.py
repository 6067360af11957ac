"""A missing answer names its field, in the reader's language (core.forms.Form)."""

from django import forms
from django.utils import translation

from core.forms import Form


class Sample(Form):
    name = forms.CharField(label="Full name")
    office = forms.ChoiceField(label="Office", choices=[("a", "A")])
    consent = forms.BooleanField(label="I agree")
    photo = forms.FileField(label="ID card, front")
    rating = forms.IntegerField(label="Rating", error_messages={"required": "Pick one."})


def test_a_missing_answer_names_its_field():
    with translation.override("en"):
        errors = Sample({}).errors
    assert errors["name"] == ["Please fill in “Full name”."]
    assert errors["office"] == ["Please choose “Office”."]
    assert errors["consent"] == ["Please tick “I agree”."]
    assert errors["photo"] == ["Please attach “ID card, front”."]
    assert errors["rating"] == ["Pick one."]  # a field's own message stays
    assert Sample().label_suffix == ""
