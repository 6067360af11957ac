"""The resident's feedback pages, no sign-in:

    /<lang>/feedback/rate/<token>/        rate a visit or a request (the link sent by SMS/e-mail)
    /<lang>/feedback/rate/thanks/         after rating
    /<lang>/feedback/mailbox/             write to the director's mailbox
    /<lang>/feedback/mailbox/sent/        reference and follow-up code, once
    /<lang>/feedback/mailbox/follow/      follow a message with reference + code
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from core.client_ip import client_ip
from core.errors import DomainError
from core.ratelimit import address_hit
from feedback import actions
from feedback.constants import RATING_LABELS, tags_for
from feedback.forms import FollowForm, MailboxForm, RatingForm

SENT_KEY = "feedback_mailbox_sent"


def _private_link(response: HttpResponse) -> HttpResponse:
    # The token is in the path: never hand it to another site as a Referer. ("no-referrer"
    # would make the browser post with Origin: null, which the CSRF check refuses.)
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _allowed(request: HttpRequest, name: str, limit: int, seconds: int) -> bool:
    """At most `limit` posts per address in a fixed window (spam, guessing)."""
    return address_hit(request, f"feedback-{name}", limit=limit, seconds=seconds)


@never_cache
@require_http_methods(["GET", "POST"])
def rate(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = actions.invitation_check(token=token)
    except DomainError as refusal:
        return _refused(request, refusal)
    form = RatingForm(request.POST or None, kind=invitation.kind)
    if request.method == "POST" and form.is_valid():
        try:
            actions.evaluation_record(
                token=token,
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"],
                tags=form.cleaned_data["tags"],
            )
        except DomainError as refusal:
            return _refused(request, refusal)
        return redirect("feedback:rate_thanks")
    context = {
        "invitation": invitation, "form": form, "labels": RATING_LABELS,
        "tags": tags_for(invitation.kind),
    }  # fmt: skip
    status = 400 if form.errors else 200
    return _private_link(render(request, "feedback/evaluation_rate.html", context, status=status))


def _refused(request: HttpRequest, refusal: DomainError) -> HttpResponse:
    response = render(
        request, "feedback/evaluation_refused.html", {"error": str(refusal)}, status=refusal.status
    )
    return _private_link(response)


@require_GET
def rate_thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "feedback/evaluation_thanks.html")


@require_http_methods(["GET", "POST"])
def mailbox_submit(request: HttpRequest) -> HttpResponse:
    form = MailboxForm(request.POST or None, request.FILES or None)
    error, status = None, 200
    if request.method == "POST":
        limit = settings.FEEDBACK["MAILBOX_PER_ADDRESS_PER_HOUR"]
        if not _allowed(request, "mailbox", limit, 3600):
            error, status = _("Too many messages from your network. Please try again later."), 429
        elif form.is_valid():
            data = form.cleaned_data
            item, code = actions.mailbox_submit(
                category=data["category"],
                office=data["office"],
                subject=data["subject"],
                text=data["text"],
                name=data["name"],
                phone=data["phone"],
                email=data["email"],
                attachment=data["attachment"],
                language=translation.get_language(),
            )
            request.session[SENT_KEY] = {"reference": item.reference, "code": code}
            return redirect("feedback:mailbox_sent")
        else:
            status = 400
    context = {"form": form, "error": error, "days": settings.FEEDBACK["MAILBOX_WORKING_DAYS"]}
    return render(request, "feedback/mailbox_submit.html", context, status=status)


@never_cache
@require_GET
def mailbox_sent(request: HttpRequest) -> HttpResponse:
    sent = request.session.get(SENT_KEY)
    if not sent:
        return redirect("feedback:mailbox_follow")
    return render(request, "feedback/mailbox_sent.html", sent)


@never_cache
@require_http_methods(["GET", "POST"])
def mailbox_follow(request: HttpRequest) -> HttpResponse:
    form = FollowForm(request.POST or None)
    error, status, item = None, 200, None
    if request.method == "POST":
        limit = settings.FEEDBACK["FOLLOW_PER_ADDRESS_PER_10_MINUTES"]
        if not _allowed(request, "follow", limit, 600):
            error, status = _("Too many attempts from your network. Please wait 10 minutes."), 429
        elif form.is_valid():
            try:
                item = actions.mailbox_follow_lookup(
                    reference=form.cleaned_data["reference"], code=form.cleaned_data["code"],
                    ip=client_ip(request),
                )
            except DomainError as refusal:
                error, status = str(refusal), refusal.status
        else:
            status = 400
    context = {"form": form, "error": error, "item": item}
    return render(request, "feedback/mailbox_follow.html", context, status=status)
