"""The date range and office filter of the statistics pages."""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MAX_DAYS = 731


class RangeForm(forms.Form):
    first = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    last = forms.DateField(label=_("Until"), widget=forms.DateInput(attrs={"type": "date"}))
    office = forms.ModelChoiceField(
        label=_("Office"), queryset=None, required=False, empty_label=_("All my offices")
    )

    def __init__(self, *args, offices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["office"].queryset = offices
        if len(offices) == 1:
            self.fields["office"].empty_label = None

    def clean(self):
        data = super().clean()
        first, last = data.get("first"), data.get("last")
        if first and last:
            if last < first:
                raise forms.ValidationError(_("The last day is before the first day."))
            if (last - first).days >= MAX_DAYS:
                raise forms.ValidationError(_("Choose at most two years."))
        return data


def default_range(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    today = today or timezone.localdate()
    return today - dt.timedelta(days=29), today


def presets(today: dt.date | None = None) -> list[tuple[object, dt.date, dt.date]]:
    today = today or timezone.localdate()
    return [
        (_("Last 7 days"), today - dt.timedelta(days=6), today),
        (_("Last 30 days"), today - dt.timedelta(days=29), today),
        (_("This month"), today.replace(day=1), today),
        (_("This year"), today.replace(month=1, day=1), today),
    ]
