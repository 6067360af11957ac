"""The check-in kiosk and the resident's phone page that follows a ticket.

A kiosk is a browser holding a device cookie: the office manager creates the kiosk in the admin
and opens its one-time set-up link on the device. Without that cookie no kiosk page works. The
follow page is public: its address carries an unguessable token and shows no personal data."""

import datetime as dt
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from appointments.constants import BOOKING_CODE_ALPHABET
from core.errors import DomainError
from core.qr import qr_svg
from queues import actions, selectors
from queues.constants import TicketStatus
from queues.forms import KioskCodeForm, KioskWalkInForm
from queues.models import Kiosk, Ticket
from queues.printouts import ticket_follow_url, ticket_pdf
from services.models import Category, Service

KIOSK_COOKIE = "ow_kiosk"
KIOSK_COOKIE_AGE = dt.timedelta(days=400)  # the longest a browser keeps a cookie
# The follow page stops polling once nothing can change any more (a missed ticket can come back).
_LIVE = (
    TicketStatus.WAITING,
    TicketStatus.CALLED,
    TicketStatus.SERVING,
    TicketStatus.PARKED,
    TicketStatus.MISSED,
)


def _denied(request: HttpRequest) -> HttpResponse:
    return render(request, "queues/kiosk_denied.html", status=403)


def kiosk_required(view: Callable) -> Callable:
    """Runs `view(request, kiosk, …)` for a set-up kiosk; any other browser gets a 403 page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        kiosk = selectors.kiosk_from_token(request.COOKIES.get(KIOSK_COOKIE))
        if kiosk is None:
            return _denied(request)
        actions.kiosk_touch(kiosk=kiosk)
        response = view(request, kiosk, *args, **kwargs)
        add_never_cache_headers(response)
        return response

    return wrapper


@require_GET
def kiosk_setup(request: HttpRequest, token: str) -> HttpResponse:
    """The set-up link: store the device token in a long-lived cookie, then show the kiosk."""
    if selectors.kiosk_from_token(token) is None:
        return _denied(request)
    response = redirect("queues:kiosk_start")
    response.set_cookie(
        KIOSK_COOKIE,
        token,
        max_age=KIOSK_COOKIE_AGE,
        path="/",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Strict",
    )
    add_never_cache_headers(response)
    return response


@require_http_methods(["GET", "POST"])
@kiosk_required
def kiosk_start(request: HttpRequest, kiosk: Kiosk) -> HttpResponse:
    """Scan the booking QR or type the booking code; a refusal says why and changes nothing."""
    form = KioskCodeForm(request.POST or None)
    error, status = None, 200
    if request.method == "POST" and form.is_valid():
        try:
            ticket = actions.ticket_check_in_booking(
                office=kiosk.office, code=form.cleaned_data["code"]
            )
        except DomainError as refusal:
            error, status = str(refusal), refusal.status
            form = KioskCodeForm()  # empty again, ready for the next scan
        else:
            return redirect("queues:kiosk_ticket", token=ticket.follow_token)
    context = {"kiosk": kiosk, "form": form, "error": error, "keys": BOOKING_CODE_ALPHABET}
    return render(request, "queues/kiosk_start.html", context, status=status)


def _closed(request: HttpRequest, kiosk: Kiosk, refusal: DomainError) -> HttpResponse:
    """No walk-in ticket now: say why and when the office opens."""
    context = {"kiosk": kiosk, "refusal": str(refusal)}
    status = refusal.status if request.method == "POST" else 200
    return render(request, "queues/kiosk_closed.html", context, status=status)


def walk_ins_open(view: Callable) -> Callable:
    """The walk-in pages of a kiosk show when the office opens instead, outside the hours."""

    @wraps(view)
    def wrapper(request: HttpRequest, kiosk: Kiosk, *args, **kwargs) -> HttpResponse:
        refusal = selectors.walk_in_refusal(kiosk.office)
        if refusal is not None:
            return _closed(request, kiosk, refusal)
        return view(request, kiosk, *args, **kwargs)

    return wrapper


def _categories(kiosk: Kiosk) -> list[tuple[Category, list[Service]]]:
    grouped: dict[int, tuple[Category, list[Service]]] = {}
    for service in selectors.office_walk_in_services(kiosk.office):
        grouped.setdefault(service.category_id, (service.category, []))[1].append(service)
    return list(grouped.values())


@require_GET
@kiosk_required
@walk_ins_open
def kiosk_categories(request: HttpRequest, kiosk: Kiosk) -> HttpResponse:
    context = {"kiosk": kiosk, "categories": _categories(kiosk)}
    return render(request, "queues/kiosk_categories.html", context)


@require_GET
@kiosk_required
@walk_ins_open
def kiosk_services(request: HttpRequest, kiosk: Kiosk, category: str) -> HttpResponse:
    chosen = [(c, services) for c, services in _categories(kiosk) if c.code == category]
    if not chosen:
        raise Http404
    context = {"kiosk": kiosk, "category": chosen[0][0], "services": chosen[0][1]}
    return render(request, "queues/kiosk_services.html", context)


@sensitive_post_parameters("id_number")
@require_http_methods(["GET", "POST"])
@kiosk_required
@walk_ins_open
def kiosk_walk_in(request: HttpRequest, kiosk: Kiosk, service: str) -> HttpResponse:
    chosen = selectors.office_walk_in_services(kiosk.office).filter(code=service).first()
    if chosen is None:
        raise Http404
    form = KioskWalkInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ticket = actions.ticket_take_walk_in(
                office=kiosk.office, service=chosen, in_hours_only=True, **form.cleaned_data
            )
        except DomainError as refusal:
            return _closed(request, kiosk, refusal)
        return redirect("queues:kiosk_ticket", token=ticket.follow_token)
    context = {"kiosk": kiosk, "service": chosen, "form": form}
    return render(request, "queues/kiosk_walk_in.html", context)


def _kiosk_ticket(kiosk: Kiosk, token: str) -> Ticket:
    try:
        ticket = selectors.ticket_get_by_follow_token(token)
    except Ticket.DoesNotExist:
        raise Http404
    if ticket.office_id != kiosk.office_id:
        raise Http404
    return ticket


def _progress(ticket: Ticket) -> dict:
    waiting = ticket.status == TicketStatus.WAITING
    ahead, minutes = selectors.ticket_wait(ticket)
    return {"ticket": ticket, "waiting": waiting, "ahead": ahead, "minutes": minutes}


@require_GET
@kiosk_required
def kiosk_ticket(request: HttpRequest, kiosk: Kiosk, token: str) -> HttpResponse:
    """The ticket on the kiosk's screen, with the QR to follow it on a phone."""
    ticket = _kiosk_ticket(kiosk, token)
    follow_url = ticket_follow_url(ticket)
    context = {
        "kiosk": kiosk,
        **_progress(ticket),
        "follow_url": follow_url,
        "qr": qr_svg(follow_url, scale=6, title=ticket.display),
    }
    return render(request, "queues/kiosk_ticket.html", context)


@require_GET
@kiosk_required
def kiosk_ticket_pdf(request: HttpRequest, kiosk: Kiosk, token: str) -> HttpResponse:
    """The 80 mm receipt, shown inline so the kiosk's browser prints it."""
    ticket = _kiosk_ticket(kiosk, token)
    response = HttpResponse(ticket_pdf(ticket), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="ticket-{ticket.display}.pdf"'
    return response


@require_GET
def ticket_follow(request: HttpRequest, token: str) -> HttpResponse:
    """A resident's phone follows the ticket; htmx asks for the status part every 5 seconds."""
    try:
        ticket = selectors.ticket_get_by_follow_token(token)
    except Ticket.DoesNotExist:
        raise Http404
    # Without JavaScript (no htmx poll) the whole page reloads itself while the ticket is live.
    context = {**_progress(ticket), "live": ticket.status in _LIVE, "refresh_seconds": 15}
    template = "queues/ticket_follow.html"
    if request.htmx:
        template += "#status"
    response = render(request, template, context)
    add_never_cache_headers(response)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
