"""The waiting list of a full day: joining, managing an entry, accepting an offered place."""

import datetime as dt
import hashlib

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from appointments import actions, selectors
from appointments.constants import WaitStatus
from appointments.forms import (
    WaitingJoinForm,
)
from appointments.views._common import (
    _calendar,
    _office_or_none,
    _parse_day,
    _remember,
    _service_or_404,
)
from core.errors import DomainError
from core.idempotency import idempotent_run
from services.models import Office, Service

# --- waiting list ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def waiting_join(request: HttpRequest, service_code: str, office_code: str) -> HttpResponse:
    service = _service_or_404(service_code)
    office = _office_or_none(service, office_code)
    if office is None:
        raise Http404
    day = _full_day(request, service, office)
    if day is None:
        return redirect(
            "appointments:book_time", service_code=service.code, office_code=office.code
        )
    form = WaitingJoinForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            entry = actions.waiting_join(
                office=office,
                service=service,
                day=day,
                language=request.LANGUAGE_CODE,
                privacy_notice_version=form.cleaned_data["notice_version"],
                **{k: form.cleaned_data[k] for k in ("name", "id_number", "phone", "email")},
            )
        except DomainError as refusal:
            error = str(refusal)
        else:
            token = actions.waiting_manage_token(entry)
            return redirect("appointments:waiting_manage", token=token)
    context = {"service": service, "office": office, "day": day, "form": form, "error": error}
    return render(request, "appointments/waiting_join.html", context, status=409 if error else 200)


def _full_day(request: HttpRequest, service: Service, office: Office) -> dt.date | None:
    """The requested day if it is in the calendar and fully booked (else no waiting list)."""
    wanted = _parse_day(request.GET.get("date"))
    if wanted is None:
        return None
    days = _calendar(office=office, service=service)
    return wanted if any(d.day == wanted and d.state == "full" for d in days) else None


@require_http_methods(["GET", "POST"])
def waiting_manage(request: HttpRequest, token: str) -> HttpResponse:
    """The resident's place on the list, reached from the confirmation or its SMS: reference,
    position, and a button to leave (POST, so a link preview never takes anyone off)."""
    try:
        if request.method == "POST":
            actions.waiting_leave(token=token)
            return redirect("appointments:waiting_manage", token=token)
        entry = actions.waiting_entry_from_manage_token(token)
    except DomainError as refusal:
        context = {"error": str(refusal)}
        return render(request, "appointments/waiting_done.html", context, status=refusal.status)
    context = {"entry": entry, "position": selectors.waiting_position(entry)}
    if entry.status == WaitStatus.OFFERED:
        context["offer_token"] = actions.waiting_offer_token(entry)
    return render(request, "appointments/waiting_done.html", context)


@require_http_methods(["GET", "POST"])
def offer_accept(request: HttpRequest, token: str) -> HttpResponse:
    error = entry = None
    status = 200
    if request.method == "POST":

        def run() -> tuple[int, dict]:
            return 201, {"code": actions.waiting_accept(token=token).code}

        # Keyed by the offer itself: a double tap on "Accept" shows the same booking.
        key = hashlib.sha256(token.encode()).hexdigest()
        outcome = idempotent_run(scope="waiting-offer", key=key, fingerprint=key, run=run)
        if outcome.status == 201:
            _remember(request, outcome.body["code"])
            return redirect("appointments:booking_done", code=outcome.body["code"])
        error, status = outcome.body.get("detail"), outcome.status
    else:
        try:
            entry = actions.waiting_entry_from_token(token)
        except DomainError as refusal:
            error, status = str(refusal), refusal.status
    context = {"entry": entry, "error": error}
    return render(request, "appointments/offer_accept.html", context, status=status)
