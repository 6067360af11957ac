"""The auditors' search of the audit trail, /<lang>/staff/audit/.

Filters by staff username, office, action and dates travel in the query string. A resident's ID
number never does: it is posted, validated, and only its keyed digest (with the masked number to
show) is kept in the session until cleared. Every page of results is itself an audit entry.
"""

import datetime as dt
import json

from django import forms
from django.apps import apps
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET

from accounts.admin_site import is_verified
from accounts.audit import audit_record
from accounts.models import AuditAction, AuditEntry
from accounts.selectors import office_ids_with_perm
from accounts.selectors.audit import audit_entry_list, audit_heads_page
from core.crypto import pii_hmac
from core.idnumbers import mask_id_number, validate_id_number

PERM = "accounts.view_auditentry"
SUBJECT_KEY = "audit_subject"
PER_PAGE = 50
_QUERY_FIELDS = ("username", "office", "action", "date_from", "date_to")


class _NoEchoInput(forms.TextInput):
    """Never writes the typed ID number back into the page."""

    def format_value(self, value):
        return None


_DAY = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AuditSearchForm(forms.Form):
    username = forms.CharField(label=_("Staff username"), max_length=150, required=False)
    office = forms.TypedChoiceField(label=_("Office"), required=False, coerce=int, empty_value=None)
    action = forms.ChoiceField(label=_("Action"), required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=_DAY)
    date_to = forms.DateField(label=_("To"), required=False, widget=_DAY)
    id_number = forms.CharField(
        label=_("Resident ID number"),
        max_length=24,
        required=False,
        widget=_NoEchoInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_("Searched by its keyed digest; the number itself is never stored."),
    )

    def __init__(self, *args, office_ids: set[int] | None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["office"].choices = [("", _("All offices"))] + _office_choices(office_ids)
        self.fields["action"].choices = [("", _("All actions")), *AuditAction.choices]

    def clean_id_number(self) -> str:
        value = self.cleaned_data["id_number"]
        return validate_id_number(value) if value.strip() else ""

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise ValidationError(_("The first day is after the last day."))
        return data


def _office_choices(office_ids: set[int] | None) -> list[tuple[int, str]]:
    # By label: accounts sits below services in the import order.
    offices = apps.get_model("services", "Office").objects.order_by("code")
    if office_ids is not None:
        offices = offices.filter(pk__in=office_ids)
    return [(office.pk, str(office)) for office in offices]


def _allowed(request: HttpRequest) -> HttpResponse | None:
    if not is_verified(request):
        return redirect_to_login(request.get_full_path(), login_url=reverse("staff:signin"))
    if not request.user.has_perm(PERM):
        raise PermissionDenied
    return None


@never_cache
@sensitive_post_parameters("id_number")
def audit_list(request: HttpRequest) -> HttpResponse:
    refused = _allowed(request)
    if refused:
        return refused
    office_ids = office_ids_with_perm(request.user, PERM)
    if request.method == "POST":
        return _search_posted(request, office_ids)
    form = AuditSearchForm(request.GET or None, office_ids=office_ids)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    return _render(request, form, filters, office_ids)


def _search_posted(request: HttpRequest, office_ids: set[int] | None) -> HttpResponse:
    form = AuditSearchForm(request.POST, office_ids=office_ids)
    if "clear_subject" in request.POST:
        request.session.pop(SUBJECT_KEY, None)
    elif not form.is_valid():
        return _render_form_errors(request, form)
    elif form.cleaned_data["id_number"]:
        number = form.cleaned_data["id_number"]
        request.session[SUBJECT_KEY] = {"hmac": pii_hmac(number), "masked": mask_id_number(number)}
    else:
        request.session.pop(SUBJECT_KEY, None)
    return redirect(_url_with(_query_of(form)))


def _query_of(form: AuditSearchForm) -> dict[str, str]:
    data = form.cleaned_data if form.is_valid() else {}
    query = {}
    for name in _QUERY_FIELDS:
        value = data.get(name)
        if value not in (None, ""):
            query[name] = value.isoformat() if isinstance(value, dt.date) else str(value)
    return query


def _url_with(query: dict[str, str]) -> str:
    url = reverse("audit:list")
    return f"{url}?{urlencode(query)}" if query else url


def _render(request, form, filters: dict, office_ids) -> HttpResponse:
    subject = request.session.get(SUBJECT_KEY) or {}
    entries = audit_entry_list(
        username=filters.get("username", ""),
        office_id=filters.get("office"),
        office_ids=office_ids,
        subject_hmac=subject.get("hmac", ""),
        action=filters.get("action", ""),
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
    )
    page = Paginator(entries, PER_PAGE).get_page(request.GET.get("page"))
    offices = dict(form.fields["office"].choices[1:])
    rows = [
        {"entry": e, "office": offices.get(e.office_id, e.office_id), "details": _summary(e)}
        for e in page.object_list
    ]
    _record_search(request, filters, subject, page)  # after the read: not among its own results
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "subject_masked": subject.get("masked", ""),
    }
    return render(request, "accounts/audit_list.html", context)


def _summary(entry: AuditEntry) -> str:
    text = json.dumps(entry.details, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 300 else text[:299] + "…"


def _render_form_errors(request, form) -> HttpResponse:
    # Nothing was searched, so nothing is shown (or recorded): only what to correct.
    subject = request.session.get(SUBJECT_KEY) or {}
    context = {"form": form, "page": None, "subject_masked": subject.get("masked", "")}
    return render(request, "accounts/audit_list.html", context, status=400)


def _record_search(request, filters: dict, subject: dict, page) -> None:
    shown = {k: v for k, v in filters.items() if k != "id_number" and v not in (None, "")}
    if subject:
        shown["id_number"] = subject["masked"]
    audit_record(
        actor=request.user,
        action=AuditAction.VIEW,
        obj=AuditEntry,
        request=request,
        subject_hmac=subject.get("hmac", ""),
        details={
            "page": "audit search",
            "filters": shown,
            "page_number": page.number,
            "results": page.paginator.count,
        },
    )


# --- the published heads: /.well-known/onewindow-audit-heads.json --------------------------------

HEADS_PER_PAGE = 500
HEADS_FORMAT = (
    "Each head is SHA-256 over the canonical JSON (sorted keys, no spaces, UTF-8) of v, number,"
    " first_id, last_id, count, newest_at, root, prev_head and sealed_at; prev_head chains it to"
    " the batch before (the first: 64 zeros). signature is Ed25519 (base64url) by the issuer key"
    " key_id of /.well-known/onewindow-certificate-keys.json over 'onewindow-audit-head/1:' +"
    " head. Keep any head: `manage.py verify_audit --head NUMBER:HEAD` proves it still in the"
    " trail, and the trail up to it unchanged."
)


@require_GET
def audit_heads(request: HttpRequest) -> JsonResponse:
    """The signed heads of the sealed audit batches, public: `?after=N` pages through them."""
    try:
        after = max(0, int(request.GET.get("after", "0")))
    except ValueError:
        after = 0
    heads, latest = audit_heads_page(after=after, limit=HEADS_PER_PAGE)
    following = None
    if len(heads) == HEADS_PER_PAGE:
        following = f"{request.path}?{urlencode({'after': heads[-1]['number']})}"
    body = {
        "latest": latest,
        "heads": heads,
        "next": following,
        "keys": "/.well-known/onewindow-certificate-keys.json",
        "format": HEADS_FORMAT,
    }
    response = JsonResponse(body, json_dumps_params={"indent": 1})
    response["Cache-Control"] = "public, max-age=5"
    response["Access-Control-Allow-Origin"] = "*"
    return response
