"""The resident's 一件事 pages: one online application for the online parts of a bundle, and its
one status page.

    /documents/bundle/<code>/apply/     the form asked once for every online part
    /documents/b/<ref>/                  the bundle's reference, each part and its status
"""

import uuid
from types import SimpleNamespace

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from core.errors import DomainError
from core.idempotency import idempotent_run
from services.models import Bundle

from . import actions, selectors
from .forms import REQUIRED, ApplicationForm
from .models import BundleApplication
from .views.resident import _keep_uploads, _upload_owner, resident_required


def _bundle(code: str) -> Bundle:
    try:
        return selectors.bundle_get_active(code=code)
    except Bundle.DoesNotExist:
        raise Http404 from None


def _submit(request: HttpRequest, form: ApplicationForm, bundle: Bundle, parts) -> tuple:
    office = form.cleaned_data.get("office")
    if "office" not in form.fields:  # each part at its own office
        office = {part.code: form.cleaned_data.get(f"office__{part.code}") for part in parts}
    try:
        application = actions.bundle_apply(
            bundle=bundle, parts=parts, office=office,
            user=request.user, language=request.LANGUAGE_CODE, person=form.person(),
            answers=form.answers(), uploads=form.uploads(),
        )
    except actions.ApplicationInvalid as invalid:
        return 400, {"errors": invalid.errors}
    return 201, {"reference": application.reference}


def _part_offices(form: ApplicationForm, parts) -> None:
    del form.fields["office"]
    form.part_offices = []
    for part in parts:
        name = f"office__{part.code}"
        form.fields[name] = forms.ModelChoiceField(
            label=_("Reviewing office for %(part)s") % {"part": part.name}, required=False,
            queryset=selectors.office_list_for_doc_type(part), to_field_name="code",
            empty_label=_("Choose an office"), widget=forms.Select(attrs=REQUIRED))
        form.part_offices.append(form[name])


@never_cache
@require_http_methods(["GET", "POST"])
@resident_required
def bundle_apply(request: HttpRequest, code: str) -> HttpResponse:
    bundle = _bundle(code)
    parts = selectors.bundle_parts_online(bundle)
    if not parts:
        raise Http404
    _versions, merged = actions.bundle_form(parts)
    offices = selectors.office_list_for_doc_types(parts)
    single = offices.first() if offices.count() == 1 else None
    form = ApplicationForm(request.POST or None, request.FILES or None, version=merged,
                           offices=offices, owner=_upload_owner(request),
                           initial={"office": single})
    if not offices.exists():  # no office handles every part: each part's own office
        _part_offices(form, parts)
    error = None
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data.get("token") or uuid.uuid4().hex
        try:
            outcome = idempotent_run(
                scope=f"documents-bundle:{request.user.pk}", key=token, fingerprint=token,
                run=lambda: _submit(request, form, bundle, parts),
            )
            if "detail" in outcome.body:
                raise DomainError(outcome.body["detail"])
        except DomainError as refusal:
            error, body = str(refusal), {}
        else:
            body = outcome.body
        if "reference" in body:
            messages.success(request, _("Your application has been submitted. Reference: "
                                        "%(ref)s") % {"ref": body["reference"]})
            return redirect("documents:bundle_detail", body["reference"])
        form.apply_errors(body.get("errors", {}))
        form.data = form.data.copy()
        form.data["token"] = uuid.uuid4().hex  # the refused attempt keeps its key
    if request.method == "POST":
        _keep_uploads(request, form)
    days = max(part.time_limit_days for part in parts)
    context = {"form": form, "doc_type": SimpleNamespace(name=bundle.name, time_limit_days=days),
               "bundle": bundle, "parts": parts, "draft": None, "error": error,
               "version": merged, "materials": []}
    return render(request, "documents/request_apply.html", context)


@never_cache
@resident_required
def bundle_detail(request: HttpRequest, reference: str) -> HttpResponse:
    try:
        application = selectors.bundle_application_get_for_resident(request.user,
                                                                    reference=reference)
    except BundleApplication.DoesNotExist:
        raise Http404 from None
    return render(request, "documents/bundle_detail.html", {"application": application})
