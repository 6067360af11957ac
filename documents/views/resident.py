"""The resident's document pages, /<lang>/documents/ (a signed-in resident account).

    /documents/                              my requests, and the documents one can apply for
    /documents/apply/<type>/                 the form with the uploads → a draft
    /documents/r/<ref>/edit/                 change the draft
    /documents/r/<ref>/review/               everything at a glance, then submit
    /documents/r/<ref>/                      status, history, reply to a request for information
    /documents/r/<ref>/withdraw/             withdraw, after a confirmation
    /documents/r/<ref>/materials/<id>/       one's own uploaded file
"""

import io
import uuid
from types import SimpleNamespace

from django.contrib import messages
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import resident_required
from core.errors import DomainError
from core.idempotency import idempotent_run
from core.uploads import PendingUpload, pending_upload_store, pending_uploads_token
from documents import actions, selectors
from documents.constants import RequestStatus
from documents.forms import ApplicationForm, ResubmitForm
from documents.models import DocumentRequest, DocumentType, RequestMaterial


def _own(request: HttpRequest, reference: str) -> DocumentRequest:
    try:
        return selectors.request_get_for_resident(request.user, reference=reference)
    except DocumentRequest.DoesNotExist:
        raise Http404 from None


def _doc_type(code: str) -> DocumentType:
    try:
        return selectors.doc_type_get_active(code=code)
    except DocumentType.DoesNotExist:
        raise Http404 from None


@never_cache
@resident_required
def request_list(request: HttpRequest) -> HttpResponse:
    context = {
        "requests": selectors.request_list_for_resident(request.user),
        "doc_types": selectors.doc_type_list_active(),
        "bundle_applications": selectors.bundle_application_list_for_resident(request.user),
    }
    return render(request, "documents/request_list.html", context)


def _save_draft(request: HttpRequest, form: ApplicationForm, draft: DocumentRequest | None,
                doc_type: DocumentType) -> tuple[int, dict]:
    """request_apply with what the form parsed; its refusal is an answer (field → messages), so
    a repeated token is refused alike and nothing is written."""
    try:
        with transaction.atomic():
            req = actions.request_apply(
                doc_type=doc_type, office=form.cleaned_data.get("office"), user=request.user,
                language=request.LANGUAGE_CODE, answers=form.answers(), uploads=form.uploads(),
                draft=draft, **form.person(),
            )
    except actions.ApplicationInvalid as invalid:
        return 400, {"errors": invalid.errors}
    return 201, {"reference": req.reference}


def _apply(request: HttpRequest, doc_type: DocumentType, draft: DocumentRequest | None):
    offices = selectors.office_list_for_doc_type(doc_type)
    version = draft.form_version if draft is not None and draft.form_version else (
        actions.version_current(doc_type))
    initial = _initial(request, draft, offices)
    form = ApplicationForm(request.POST or None, request.FILES or None, version=version,
                           offices=offices, initial=initial, owner=_upload_owner(request))
    error = None
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data.get("token") or ""
        try:
            # The rules first, writing nothing: a refusal does not spend the one-time token.
            actions.application_validate(
                doc_type=doc_type, office=form.cleaned_data.get("office"), person=form.person(),
                answers=form.answers(), uploads=form.uploads(), draft=draft)
            if draft is None and token:
                outcome = idempotent_run(
                    scope=f"documents-draft:{request.user.pk}", key=token, fingerprint=token,
                    run=lambda: _save_draft(request, form, None, doc_type),
                )
                body = outcome.body
            else:
                body = _save_draft(request, form, draft, doc_type)[1]
            if "detail" in body:
                raise DomainError(body["detail"])
        except actions.ApplicationInvalid as invalid:
            body = {"errors": invalid.errors}
        except DomainError as refusal:
            error, body = str(refusal), {}
        if error is None:
            if "reference" in body:
                return redirect("documents:request_review", body["reference"])
            form.apply_errors(body.get("errors", {}))
        form.data = form.data.copy()
        form.data["token"] = uuid.uuid4().hex  # the refused attempt keeps its key
    if request.method == "POST":
        _keep_uploads(request, form)
    context = {"form": form, "doc_type": doc_type, "draft": draft, "error": error,
               "version": version, "materials": draft.materials.all() if draft else []}
    return render(request, "documents/request_apply.html", context)


def _upload_owner(request: HttpRequest) -> str:
    return f"user-{request.user.pk}"


def _keep_uploads(request: HttpRequest, form: ApplicationForm) -> None:
    """A refused form keeps the files that passed their checks: stored as pending uploads and
    named in a signed hidden field, so the resident need not choose them again."""
    owner = _upload_owner(request)
    kept: dict[str, PendingUpload] = {}
    for name, checked in form.files_to_keep().items():
        earlier = form.pending.get(name)
        if earlier is not None and earlier.checked is checked:
            kept[name] = earlier  # already stored: no second copy
        else:
            kept[name] = pending_upload_store(checked, owner=owner)
    form.data = form.data.copy()
    form.data["pending"] = pending_uploads_token(kept, owner=owner) if kept else ""
    form.kept = [(form.fields[name].label, p.checked.original_name) for name, p in kept.items()]


def _initial(request: HttpRequest, draft: DocumentRequest | None, offices) -> dict:
    if draft is None:
        profile = getattr(request.user, "resident_profile", None)
        single = offices.first() if offices.count() == 1 else None
        return {"phone": getattr(profile, "verified_phone", ""),
                "email": getattr(profile, "verified_email", ""), "office": single}
    fields = ("applicant_name", "phone", "email", "on_behalf", "holder_name")
    answers = {k: ("true" if v is True else "false" if v is False else v)
               for k, v in draft.answers.items()}
    return {"office": draft.office, **answers, **{name: getattr(draft, name) for name in fields}}


@never_cache
@require_http_methods(["GET", "POST"])
@resident_required
def request_apply(request: HttpRequest, type_code: str) -> HttpResponse:
    return _apply(request, _doc_type(type_code), None)


@never_cache
@require_http_methods(["GET", "POST"])
@resident_required
def request_edit(request: HttpRequest, reference: str) -> HttpResponse:
    draft = _own(request, reference)
    if draft.status != RequestStatus.DRAFT:
        return redirect("documents:request_detail", reference)
    return _apply(request, draft.doc_type, draft)


@never_cache
@require_http_methods(["GET", "POST"])
@resident_required
def request_review(request: HttpRequest, reference: str) -> HttpResponse:
    req = _own(request, reference)
    if req.status != RequestStatus.DRAFT:
        return redirect("documents:request_detail", reference)
    error = None
    if request.method == "POST":
        try:
            actions.request_submit(request=req, actor=request.user)
        except DomainError as refusal:
            error = str(refusal)
        else:
            messages.success(request, _("Your request has been submitted. Reference: %(ref)s")
                             % {"ref": req.reference})
            return redirect("documents:request_detail", reference)
    context = {"req": req, "materials": req.materials.all(), "error": error,
               "missing": actions.materials_missing_labels(req),
               "answers": selectors.request_answers_display(req)}
    return render(request, "documents/request_review.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
@resident_required
def request_detail(request: HttpRequest, reference: str) -> HttpResponse:
    req = _own(request, reference)
    if req.status == RequestStatus.DRAFT:
        return redirect("documents:request_review", reference)
    form = ResubmitForm(request.POST or None, request.FILES or None,
                        kinds=actions.material_kinds(req))
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            _resubmit(request, req, form)
        except DomainError as refusal:
            error = str(refusal)
        else:
            messages.success(request, _("Thank you. Your request is back with the reviewer."))
            return redirect("documents:request_detail", reference)
    context = {
        "req": req, "form": form, "error": error, "materials": req.materials.all(),
        "events": selectors.request_events_for_resident(req).select_related("actor"),
        "certificate": getattr(req, "certificate", None),
        "deadline": selectors.request_deadline(req),
        "answers": selectors.request_answers_display(req),
    }
    return render(request, "documents/request_detail.html", context)


def _resubmit(request: HttpRequest, req: DocumentRequest, form: ResubmitForm) -> None:
    with transaction.atomic():
        if form.cleaned_data.get("file"):
            actions.material_add(request=req, actor=request.user, kind=form.cleaned_data["kind"],
                                 checked=form.cleaned_data["file"])
        actions.request_resubmit(request=req, actor=request.user,
                                 reply=form.cleaned_data.get("reply", ""))


@never_cache
@require_http_methods(["GET", "POST"])
@resident_required
def request_withdraw(request: HttpRequest, reference: str) -> HttpResponse:
    req = _own(request, reference)
    error = None
    if request.method == "POST":
        try:
            actions.request_withdraw(request=req, actor=request.user)
        except DomainError as refusal:
            error = str(refusal)
        else:
            messages.success(request, _("Your request has been withdrawn."))
            return redirect("documents:request_detail", reference)
    return render(request, "documents/request_withdraw.html", {"req": req, "error": error})


def material_response(material: RequestMaterial, *, inline: bool = False) -> FileResponse:
    """The stored file, never rendered by the browser as anything but its checked type."""
    # Read whole (uploads are size-limited) and closed here: a browser that drops the
    # connection mid-download leaves no open file behind.
    with material.file.open("rb") as stored:
        handle = io.BytesIO(stored.read())
    extension = material.file.name.rsplit(".", 1)[-1]
    filename = f"{material.request.reference}-{material.kind}-{material.pk}.{extension}"
    response = FileResponse(handle, content_type=material.content_type,
                            as_attachment=not inline, filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@never_cache
@resident_required
def material_download(request: HttpRequest, reference: str, material_id: int) -> HttpResponse:
    try:
        material = selectors.material_get_for_resident(
            request.user, reference=reference, material_id=material_id
        )
    except RequestMaterial.DoesNotExist:
        raise Http404 from None
    return material_response(material)


@require_POST
@resident_required
def material_delete(request: HttpRequest, reference: str, material_id: int) -> HttpResponse:
    try:
        material = selectors.material_get_for_resident(
            request.user, reference=reference, material_id=material_id
        )
        actions.material_remove(material=material, actor=request.user)
    except RequestMaterial.DoesNotExist:
        raise Http404 from None
    except DomainError as refusal:
        messages.error(request, str(refusal))
    return redirect("documents:request_edit", reference)


def form_preview(request: HttpRequest, doc_type: DocumentType) -> HttpResponse:
    """The admin's preview: the application page as a resident sees it, from the definition as
    saved (published or not), with nothing to submit. Reached only through the admin."""
    version = SimpleNamespace(fields=doc_type.fields, materials=doc_type.materials,
                              number=doc_type.version)
    offices = selectors.office_list_for_doc_type(doc_type)
    form = ApplicationForm(version=version, offices=offices)
    context = {"form": form, "doc_type": doc_type, "draft": None, "error": None,
               "version": version, "materials": [], "preview": True}
    return render(request, "documents/request_apply.html", context)
