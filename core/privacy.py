"""The privacy notice (个人信息保护告知): its version, the periods it states (read from
settings.RETENTION, so the notice says what the nightly retention jobs do), and the hidden form
field that records which version a resident agreed to.

Change PRIVACY_NOTICE_VERSION (the date the new text takes effect) whenever the notice's text
changes: consents already given keep the version they were given for."""

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

PRIVACY_NOTICE_VERSION = "2026-12-05"


def notice_effective_date() -> dt.date:
    return dt.date.fromisoformat(PRIVACY_NOTICE_VERSION)


def _period(days: int) -> str:
    if days % 365 == 0:
        years = days // 365
        return ngettext("%(n)s year", "%(n)s years", years) % {"n": years}
    return ngettext("%(n)s day", "%(n)s days", days) % {"n": days}


def retention_periods() -> dict[str, str]:
    """The notice's periods, as words in the active language ("180 days", "5 years")."""
    retention = settings.RETENTION
    return {
        "personal": _period(retention["PERSONAL_DATA_DAYS"]),
        "messages": _period(retention["MESSAGE_DAYS"]),
        "documents": _period(retention["DOCUMENT_DAYS"]),
        "audit": _period(retention["AUDIT_DAYS"]),
    }


def notice_version_model_field() -> models.CharField:
    """The version of the notice a resident agreed to with this record ("": agreed elsewhere,
    e.g. on a partner platform through the API, or before versions were recorded)."""
    return models.CharField(
        _("privacy notice agreed to"), max_length=20, blank=True, editable=False
    )


class NoticeVersionField(forms.CharField):
    """Hidden: the notice version the form was shown with. Empty (a client that never rendered
    the form) counts as the current one; an older one means the notice changed meanwhile."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, initial=PRIVACY_NOTICE_VERSION, max_length=20, **kwargs)

    def clean(self, value: str) -> str:
        return super().clean(value) or PRIVACY_NOTICE_VERSION


def check_notice_version(form: forms.Form, *, consent_field: str = "consent") -> None:
    """Refuse the consent when the notice changed after the form was shown (call in clean())."""
    if form.cleaned_data.get("notice_version", PRIVACY_NOTICE_VERSION) != PRIVACY_NOTICE_VERSION:
        form.add_error(
            consent_field,
            _("The privacy notice has changed since this form was opened. Please read it and "
              "agree again."),
        )
