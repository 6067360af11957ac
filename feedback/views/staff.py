"""Managers' feedback pages, under /<lang>/staff/feedback/ (second factor enforced there):

    cases/                       follow-up cases of their offices, nearest deadline first
    cases/<id>/                  one case: rating, tags, comment, counter; close with what was done
    cases/<id>/contact/          POST: show the resident's contact to call back (audited)
    mailbox/                     director's mailbox messages of their offices
    mailbox/<id>/                one message; answer it
    mailbox/<id>/contact/        POST: show the writer's name and contact (audited)
    mailbox/<id>/attachment/     the attachment (audited)

Another office's case or message answers 404, like one that does not exist.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import DomainError
from core.uploads import download_name
from feedback import actions, selectors
from feedback.constants import TAGS, CaseStatus, MailboxStatus
from feedback.forms import CaseCloseForm, MailboxAnswerForm
from feedback.models import FollowUpCase, MailboxItem


def _need(request: HttpRequest, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def _case(request: HttpRequest, case_id: int) -> FollowUpCase:
    _need(request, selectors.CASE_PERM)
    try:
        return selectors.case_get_for_staff(request.user, case_id)
    except FollowUpCase.DoesNotExist:
        raise Http404 from None


def _item(request: HttpRequest, item_id: int) -> MailboxItem:
    _need(request, selectors.MAILBOX_PERM)
    try:
        return selectors.mailbox_get_for_staff(request.user, item_id)
    except MailboxItem.DoesNotExist:
        raise Http404 from None


# --- follow-up cases -----------------------------------------------------------------------------


@never_cache
@require_GET
def case_list(request: HttpRequest) -> HttpResponse:
    _need(request, selectors.CASE_PERM)
    status = request.GET.get("status", CaseStatus.OPEN)
    status = status if status in CaseStatus.values else CaseStatus.OPEN
    context = {
        "cases": selectors.case_list_for_staff(request.user, status=status)[:200],
        "status": status,
        "today": timezone.localdate(),
    }
    return render(request, "feedback/case_list.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def case_detail(request: HttpRequest, case_id: int, contact: dict | None = None) -> HttpResponse:
    case = _case(request, case_id)
    form = CaseCloseForm(request.POST or None)
    error = None
    if request.method == "POST" and contact is None and form.is_valid():
        try:
            actions.case_close(
                case=case, actor=request.user, action_taken=form.cleaned_data["action_taken"]
            )
        except DomainError as refusal:
            error = str(refusal)
        else:
            messages.success(request, _("The case is closed and the resident has been told."))
            return redirect("feedback_staff:case", case_id=case.pk)
    if contact is not None:
        form = CaseCloseForm()
    evaluation = case.evaluation
    context = {
        "case": case,
        "evaluation": evaluation,
        "tags": [TAGS[code] for code in evaluation.tags if code in TAGS],
        "form": form,
        "error": error,
        "contact": contact,
        "late": case.status == CaseStatus.OPEN and selectors.is_late(case.due_on),
    }
    return render(request, "feedback/case_detail.html", context, status=409 if error else 200)


@never_cache
@require_POST
def case_contact(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case(request, case_id)
    contact = actions.case_contact_reveal(case=case, actor=request.user, request=request)
    request.method = "GET"
    return case_detail(request, case.pk, contact=contact)


# --- director's mailbox --------------------------------------------------------------------------


@never_cache
@require_GET
def mailbox_list(request: HttpRequest) -> HttpResponse:
    _need(request, selectors.MAILBOX_PERM)
    status = request.GET.get("status", MailboxStatus.RECEIVED)
    status = status if status in MailboxStatus.values else MailboxStatus.RECEIVED
    context = {
        "items": selectors.mailbox_list_for_staff(request.user, status=status)[:200],
        "status": status,
        "today": timezone.localdate(),
    }
    return render(request, "feedback/mailbox_list.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def mailbox_item(request: HttpRequest, item_id: int, contact: dict | None = None) -> HttpResponse:
    item = _item(request, item_id)
    form = MailboxAnswerForm(request.POST or None)
    error = None
    if request.method == "POST" and contact is None and form.is_valid():
        try:
            answer = form.cleaned_data["answer"]
            actions.mailbox_answer(item=item, actor=request.user, answer=answer)
        except DomainError as refusal:
            error = str(refusal)
        else:
            messages.success(request, _("The answer was sent; the resident has been told."))
            return redirect("feedback_staff:mailbox_item", item_id=item.pk)
    if contact is not None:
        form = MailboxAnswerForm()
    context = {
        "item": item,
        "form": form,
        "error": error,
        "contact": contact,
        "late": item.status == MailboxStatus.RECEIVED and selectors.is_late(item.due_on),
    }
    return render(request, "feedback/mailbox_item.html", context, status=409 if error else 200)


@never_cache
@require_POST
def mailbox_contact(request: HttpRequest, item_id: int) -> HttpResponse:
    item = _item(request, item_id)
    contact = actions.mailbox_contact_reveal(item=item, actor=request.user, request=request)
    request.method = "GET"
    return mailbox_item(request, item.pk, contact=contact)


@never_cache
@require_GET
def mailbox_attachment(request: HttpRequest, item_id: int) -> FileResponse:
    item = _item(request, item_id)
    if not item.attachment:
        raise Http404
    handle = actions.mailbox_attachment_open(item=item, actor=request.user, request=request)
    # Served under a safe name with the extension of the checked type: a file sent as
    # `evil.pdf.exe` reaches the manager as `evil.pdf`.
    extension = item.attachment.name.rsplit(".", 1)[-1]
    filename = download_name(item.attachment_name, extension=extension)
    response = FileResponse(
        handle, as_attachment=True, filename=filename, content_type=item.attachment_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
