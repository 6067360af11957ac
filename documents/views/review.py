"""The reviewer console, /<lang>/staff/documents/ (second factor required by the middleware).

    /staff/documents/                        the queue, earliest due date first
    /staff/documents/<ref>/                  data on one side, materials on the other
    /staff/documents/<ref>/do/<action>/      one POST = one action
    /staff/documents/<ref>/materials/<id>/   a material (images inline, to sit side by side)

Opening a submitted or resubmitted request starts its review. Approving, and confirming a
revocation, ask for a fresh code from the authenticator app (entered on the same page; it stays
fresh for DOCUMENTS["FRESH_SECOND_FACTOR_MINUTES"]). Every view of a request is audited.
"""

import contextlib
import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.actions import staff_otp_verify
from core.errors import DomainError
from core.uploads import private_storage
from documents import actions, selectors
from documents.constants import RequestStatus, Transition
from documents.forms import MessageForm, OtpForm, ReasonForm
from documents.models import DocumentRequest, RequestMaterial
from documents.views.resident import material_response

PERM = "documents.view_documentrequest"
FRESH_KEY = "documents_second_factor_at"


def _allowed(request: HttpRequest) -> None:
    if not request.user.has_perm(PERM):
        raise PermissionDenied


def _request(request: HttpRequest, reference: str) -> DocumentRequest:
    try:
        return selectors.request_get_for_staff(request.user, reference=reference)
    except DocumentRequest.DoesNotExist:
        raise Http404 from None


@never_cache
@require_GET
def review_queue(request: HttpRequest) -> HttpResponse:
    _allowed(request)
    show = request.GET.get("show", "open")
    show = show if show in selectors.QUEUE_FILTERS else "open"
    offices = selectors.office_list_for_review(request.user)
    try:
        office_id = int(request.GET.get("office", "") or 0)
    except ValueError:
        office_id = 0
    rows = selectors.request_queue_for_staff(request.user, show=show, office_id=office_id)
    context = {"rows": rows, "show": show, "offices": offices, "office_id": office_id,
               "filters": _filters()}
    return render(request, "documents/review_queue.html", context)


def _filters() -> list[tuple[str, str]]:
    return [("open", _("Open")), ("late", _("Late")), ("near", _("Due soon")),
            ("needs_info", _("Waiting for the resident")), ("pending", _("Awaiting confirmation")),
            ("decided", _("Decided"))]


def _fresh_at(request: HttpRequest) -> dt.datetime | None:
    value = request.session.get(FRESH_KEY)
    return dt.datetime.fromisoformat(value) if value else None


def _context(request: HttpRequest, req: DocumentRequest, **forms) -> dict:
    decision = selectors.decision_open_for(req)
    context = {
        "req": req,
        "materials": req.materials.all(),
        "events": req.events.select_related("actor"),
        "deadline": selectors.request_deadline(req),
        "answers": selectors.request_answers_display(req),
        "decision": decision,
        "own_decision": decision is not None and decision.proposed_by_id == request.user.pk,
        "fresh": actions.second_factor_fresh(_fresh_at(request)),
        "certificate": getattr(req, "certificate", None),
        "info_form": forms.get("info_form") or MessageForm(prefix="info"),
        "reason_form": forms.get("reason_form") or ReasonForm(prefix="refuse"),
        "revoke_form": forms.get("revoke_form") or ReasonForm(prefix="revoke"),
        "otp_form": forms.get("otp_form") or OtpForm(),
        "error": forms.get("error"),
        "S": RequestStatus,
    }
    return context


@never_cache
@require_GET
def review_detail(request: HttpRequest, reference: str) -> HttpResponse:
    _allowed(request)
    req = _request(request, reference)
    if req.status in (RequestStatus.SUBMITTED, RequestStatus.RESUBMITTED) and request.user.has_perm(
        "documents.change_documentrequest"
    ):
        # A race with another reviewer: the page simply shows the current state.
        with contextlib.suppress(DomainError):
            actions.request_start_review(request=req, actor=request.user)
    actions.request_read_record(request=req, actor=request.user, http_request=request)
    return render(request, "documents/review_detail.html", _context(request, req))


def _second_factor(request: HttpRequest) -> dt.datetime | None:
    """The time of a fresh second factor: from the session, or the code just entered."""
    at = _fresh_at(request)
    if actions.second_factor_fresh(at):
        return at
    code = (request.POST.get("otp") or "").strip()
    if not code:
        return None
    staff_otp_verify(user=request.user, token=code)  # raises OtpCodeWrong / OtpThrottled
    now = timezone.now()
    request.session[FRESH_KEY] = now.isoformat()
    return now


def _do_info(request, req):
    form = MessageForm(request.POST, prefix="info")
    if not form.is_valid():
        return {"info_form": form}
    actions.request_ask_info(request=req, actor=request.user, message=form.cleaned_data["message"])
    return _("The resident has been asked for more information; the clock is paused.")


def _do_approve(request, req):
    actions.request_approve(request=req, actor=request.user,
                            second_factor_at=_second_factor(request))
    if selectors.decision_open_for(req) is not None:
        return _("Proposed. A second officer of the office must now confirm it.")
    return _("Approved. The certificate is being issued.")


def _do_propose(request, req, transition: str, prefix: str):
    form = ReasonForm(request.POST, prefix=prefix)
    if not form.is_valid():
        return {f"{'reason' if prefix == 'refuse' else 'revoke'}_form": form}
    actions.decision_propose(request=req, actor=request.user, transition=transition,
                             reason=form.cleaned_data["reason"])
    return _("Proposed. A second officer of the office must now confirm it.")


def _decision(req):
    decision = selectors.decision_open_for(req)
    if decision is None:
        raise actions.NoPendingDecision()
    return decision


def _do_confirm(request, req):
    decision = _decision(req)
    fresh = decision.transition in (Transition.REVOKE, Transition.APPROVE)
    at = _second_factor(request) if fresh else None
    actions.decision_confirm(decision=decision, actor=request.user, second_factor_at=at)
    if decision.transition == Transition.REVOKE:
        return _("Confirmed: the certificate is revoked.")
    if decision.transition == Transition.APPROVE:
        return _("Confirmed: the request is approved and the certificate is being issued.")
    return _("Confirmed: the request is refused.")


def _do_decline(request, req):
    actions.decision_decline(decision=_decision(req), actor=request.user)
    return _("Declined: the proposal is closed and nothing changed.")


ACTIONS = {
    "info": _do_info,
    "approve": _do_approve,
    "refuse": lambda request, req: _do_propose(request, req, Transition.REJECT, "refuse"),
    "revoke": lambda request, req: _do_propose(request, req, Transition.REVOKE, "revoke"),
    "confirm": _do_confirm,
    "decline": _do_decline,
}


@never_cache
@require_POST
def review_action(request: HttpRequest, reference: str, action: str) -> HttpResponse:
    _allowed(request)
    req = _request(request, reference)
    handler = ACTIONS.get(action)
    if handler is None:
        raise Http404
    try:
        outcome = handler(request, req)
    except DomainError as refusal:
        outcome = {"error": str(refusal)}
    if isinstance(outcome, str):
        messages.success(request, outcome)
        return redirect("review:detail", reference)
    req.refresh_from_db()
    return render(request, "documents/review_detail.html", _context(request, req, **outcome),
                  status=400 if "error" not in outcome else 409)


@never_cache
@require_GET
def review_material(request: HttpRequest, reference: str, material_id: int) -> HttpResponse:
    _allowed(request)
    try:
        material = selectors.material_get_for_staff(
            request.user, reference=reference, material_id=material_id
        )
    except RequestMaterial.DoesNotExist:
        raise Http404 from None
    actions.request_read_record(request=material.request, actor=request.user,
                                http_request=request, what=f"material {material.pk}")
    inline = material.content_type.startswith("image/") and request.GET.get("inline") == "1"
    return material_response(material, inline=inline)


@never_cache
@require_GET
def review_certificate(request: HttpRequest, reference: str) -> HttpResponse:
    """The issued certificate's PDF, opened in the browser or (?download=1) saved: audited."""
    _allowed(request)
    req = _request(request, reference)
    certificate = getattr(req, "certificate", None)
    if certificate is None or not certificate.pdf:
        raise Http404
    download = request.GET.get("download") == "1"
    actions.request_read_record(request=req, actor=request.user, http_request=request,
                                what="certificate download" if download else "certificate")
    response = FileResponse(
        private_storage.open(certificate.pdf.name, "rb"), content_type="application/pdf",
        as_attachment=download, filename=f"{certificate.number}.pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
