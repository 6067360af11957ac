"""The clerk's counter console and the manager's live office view, /<lang>/staff/console/.

    /staff/console/                      pick a counter (the last one is remembered)
    /staff/console/<counter>/            the console of a counter open for you; otherwise a page
                                         with one button that opens it (or takes it over from
                                         the clerk working there): a GET never changes a counter
    /staff/console/<counter>/do/<what>/  one POST = one queue action, answered with the board
                                         (do/open/ opens the counter for you)
    /staff/console/office/<office>/      the manager's live view of one office

Each POST calls exactly one action of queues.actions. With htmx, a button of the ticket panel
(call next, start, finish, recall, no-show, transfer…; hx-target #current) is answered with only
what changed: the panel, plus the message, the waiting count and the transfer form as htmx
out-of-band swaps; the queue list follows with its own poll. Other forms get the refreshed board.
Either way a domain error becomes a role="alert" message.
Without JavaScript the form posts normally and is redirected back to the console.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import BadRequest, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template import loader
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core.errors import DomainError
from queues import actions, selectors
from queues.constants import ACTIVE, Outcome, TicketStatus
from queues.errors import CounterTaken, QueueEmpty
from queues.models import Ticket
from queues.selectors import console as console
from services.models import Counter, Office, Service

SESSION_KEY = "console_counter_id"
PERM = "queues.change_ticket"
TEMPLATE = "queues/console_counter.html"


def _allowed(request: HttpRequest, perm: str = PERM) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def _counter(request: HttpRequest, counter_id: int, *, services: bool = True) -> Counter:
    try:
        return console.counter_get_for_console(request.user, counter_id, services=services)
    except Counter.DoesNotExist:
        raise Http404 from None


def _ticket(request: HttpRequest, counter: Counter, *, here: bool = False) -> Ticket:
    """The posted ticket, of this counter's office (and at this counter if `here`), else 404."""
    try:
        ticket_id = int(request.POST.get("ticket", ""))
        ticket = console.ticket_get_for_counter(counter, ticket_id)
    except (ValueError, Ticket.DoesNotExist):
        raise Http404 from None
    if here and ticket.counter_id != counter.pk:
        raise Http404
    return ticket


def _posted(request: HttpRequest) -> Ticket:
    """The posted ticket by its id only, for an action on the ticket at the counter: the
    action reads it once, under its lock, and raises Ticket.DoesNotExist (404) unless it is
    today's ticket at this counter (`at_counter`); reading it here first was one statement
    more on every key."""
    try:
        ticket_id = int(request.POST.get("ticket", ""))
    except ValueError:
        raise Http404 from None
    if not 0 < ticket_id < 2**63:  # no column holds it: not found
        raise Http404
    # The key only (the other fields deferred): Ticket(pk=…) computed every field's default.
    return Ticket.from_db(None, ["id"], [ticket_id])


# --- pages ---------------------------------------------------------------------------------------


@never_cache
@require_GET
def console_pick(request: HttpRequest) -> HttpResponse:
    _allowed(request)
    counters = list(console.counter_list_for_console(request.user))
    last = request.session.get(SESSION_KEY)
    context = {
        "counters": counters,
        # Worked by a colleague: a link to the question on the console page, not an open button.
        "taken": {c.pk for c in counters if _worked_by_another(request.user, c)},
        "last": next((c for c in counters if c.pk == last), None),
        "live_offices": console.office_list_for_live(request.user),
    }
    return render(request, "queues/console_pick.html", context)


@never_cache
@require_GET
def console_counter(request: HttpRequest, counter_id: int) -> HttpResponse:
    _allowed(request)
    counter = _counter(request, counter_id)
    part = request.GET.get("part") if request.htmx else None
    if part in ("current", "queue"):
        return _render_part(request, part, _context(counter, part))
    state = console.counter_state(counter)
    if state is None or not state.is_open or state.clerk_id != request.user.pk:
        # Closed, or worked by someone else: ask first. Opening someone's counter by following
        # a link would silently take it over and change the waiting estimates of the hall.
        holder = _worked_by_another(request.user, counter)
        context = {"counter": counter, "state": state, "holder": holder}
        if holder is not None:
            context["holder_name"] = _clerk_name(holder)
        return render(request, "queues/console_open.html", context)
    request.session[SESSION_KEY] = counter.pk
    return render(request, TEMPLATE, _context(counter, "board"))


# The parts that polls and the panel's keys answer with show nothing the context processors add
# (the request, the user, perms, messages, the languages): rendered without running them. The
# board keeps them (its check-in form shows the posted code again).
PLAIN_PARTS = frozenset({"answer", "current", "queue"})


def _render_part(request: HttpRequest, part: str, context: dict) -> HttpResponse:
    """A part of the console (a poll's or an action's answer). Its forms' hidden CSRF fields
    are made from one token taken here, not from the context processor's lazy token (proxied
    again by each of the part's forms); PLAIN_PARTS skip the context processors; and the CSRF
    cookie is not sent again when the browser's is already this very secret (the page sets it;
    Django would renew it on every answer)."""
    # (Letters and digits only: safe as it is, the forms' hidden fields do not escape it again.)
    context["csrf_token"] = mark_safe(get_token(request))  # noqa: S308
    if part in PLAIN_PARTS:
        response = HttpResponse(loader.get_template(f"{TEMPLATE}#{part}").render(context))
    else:
        response = render(request, f"{TEMPLATE}#{part}", context)
    if request.COOKIES.get(settings.CSRF_COOKIE_NAME) == request.META.get("CSRF_COOKIE"):
        request.META["CSRF_COOKIE_NEEDS_UPDATE"] = False
    return response


def _context(counter: Counter, part: str, **extra) -> dict:
    """Only what the requested part shows: the polls every 2 s and the answers to the console
    actions ("answer": the ticket panel, the message, the waiting count) must stay cheap."""
    now = timezone.now()
    state = console.counter_state(counter)
    want_count = extra.pop("count", True)
    context = {"counter": counter, "state": state, "now": now, **_urls(counter), **extra}
    context["paused"] = bool(state and state.is_paused)
    if part in ("board", "current", "answer") and "current" not in extra:
        context["current"] = selectors.counter_current(counter)
    if part in ("board", "queue"):
        context["rows"] = console.counter_waiting_rows(counter, now=now)
        context["set_aside"] = console.counter_set_aside(counter)
    if part in ("board", "queue") and len(context["rows"]) < console.WAITING_ROWS:
        context["waiting_count"] = len(context["rows"])  # the whole queue is on the list
    elif part in ("board", "queue") or (
        part == "answer" and want_count and "waiting_count" not in extra
    ):
        context["waiting_count"] = selectors.counter_waiting_count(counter, now=now)
    if part == "board":
        context["transfer_counters"], context["services"] = console.counter_transfer_targets(
            counter
        )
    if part == "answer":
        context["oob"] = True  # the message, count and transfer slots swap out of band
    return context


def _urls(counter: Counter) -> dict:
    """The console's own URLs, reversed once per counter, language and URLconf in a process:
    `do` + an action's slug + "/" is the URL of `console:action` (its pattern is
    `<counter>/do/<slug>/`); a `{% url %}` per form button was a good share of an answer's CPU,
    and the two reverse() calls of every answer still were 2 %."""
    key = (counter.pk, get_language(), get_script_prefix(), get_urlconf(settings.ROOT_URLCONF))
    urls = _URLS.get(key)
    if urls is None:
        one = reverse("console:action", args=[counter.pk, "call-next"])
        # Escaped here, once (the template's autoescape then leaves them as they are): a form
        # button's URL was escaped again at each of its dozen uses in an answer.
        urls = {
            "do": escape(one.removesuffix("call-next/")),
            "console_url": escape(reverse("console:counter", args=[counter.pk])),
        }
        if len(_URLS) >= 10_000:
            _URLS.clear()
        _URLS[key] = urls
    return dict(urls)


_URLS: dict[tuple, dict[str, SafeString]] = {}


# --- actions: each calls one queue action and returns what to tell the clerk ----------------------

# Actions on the ticket at the counter that leave the waiting list as it was: their answer
# does not count the waiting tickets again (the queue's poll or push keeps the count fresh).
SAME_WAITING = frozenset({"recall", "start", "finish", "no-show", "park", "priority-check"})
# Actions that take a CounterClaim: the counter is read in the statement that takes their lock
# (call next: the counter's; the others: the posted ticket's, at the counter).
CLAIMED = frozenset({"call-next", "recall", "start", "finish", "no-show"})
OUTCOMES = frozenset(Outcome.values)  # (Outcome.values builds a new list at every use)


@dataclass(frozen=True)
class AtCounter:
    """What to tell the clerk, and the ticket the action moved at this counter: the answer
    shows it (or nobody) without reading the counter's current ticket again."""

    notice: str
    ticket: Ticket

    def __str__(self) -> str:
        return self.notice

    def current(self, counter: Counter) -> Ticket | None:
        here = self.ticket.counter_id == counter.pk and self.ticket.status in ACTIVE
        return self.ticket if here else None


def _call_next(request, counter):
    ticket = actions.ticket_call_next(counter=counter, clerk=request.user)
    return AtCounter(_("Called %(ticket)s.") % {"ticket": ticket.display}, ticket)


def _call_ticket(request, counter):
    ticket = _ticket(request, counter)
    ticket = actions.ticket_call_next(counter=counter, clerk=request.user, ticket_id=ticket.pk)
    return AtCounter(_("Called %(ticket)s.") % {"ticket": ticket.display}, ticket)


def _recall(request, counter):
    ticket = actions.ticket_recall(ticket=_posted(request), clerk=request.user, at_counter=counter)
    if ticket.status == TicketStatus.MISSED:
        return AtCounter(
            _("%(ticket)s did not answer three calls and is now missed.")
            % {"ticket": ticket.display},
            ticket,
        )
    return AtCounter(_("Called %(ticket)s again.") % {"ticket": ticket.display}, ticket)


def _start(request, counter):
    ticket = actions.ticket_start(ticket=_posted(request), clerk=request.user, at_counter=counter)
    return AtCounter(_("Serving %(ticket)s.") % {"ticket": ticket.display}, ticket)


def _finish(request, counter):
    outcome = request.POST.get("outcome", Outcome.DONE)
    if outcome not in OUTCOMES:
        raise BadRequest
    ticket = actions.ticket_finish(
        ticket=_posted(request), clerk=request.user, outcome=outcome, at_counter=counter
    )
    return AtCounter(
        _("%(ticket)s finished: %(outcome)s.")
        % {
            "ticket": ticket.display,
            "outcome": Outcome(ticket.outcome).label,  # (get_outcome_display rebuilds the choices)
        },
        ticket,
    )


def _no_show(request, counter):
    ticket = actions.ticket_no_show(ticket=_posted(request), clerk=request.user, at_counter=counter)
    return AtCounter(_("%(ticket)s marked as a no-show.") % {"ticket": ticket.display}, ticket)


def _transfer_target(request, counter) -> dict:
    kind, _sep, value = request.POST.get("to", "").partition(":")
    try:
        pk = int(value)
        if kind == "counter":
            target = Counter.objects.get(pk=pk, office_id=counter.office_id, is_active=True)
            return {"to_counter": target}
        if kind == "service":
            return {"to_service": counter.office.services.get(pk=pk, is_active=True)}
    except (ValueError, Counter.DoesNotExist, Service.DoesNotExist):
        pass
    raise BadRequest


def _transfer(request, counter):
    target = _transfer_target(request, counter)
    ticket = _ticket(request, counter, here=True)
    ticket = actions.ticket_transfer(ticket=ticket, clerk=request.user, **target)
    where = target.get("to_counter") or target.get("to_service")
    return AtCounter(
        _("%(ticket)s transferred to %(where)s; it keeps its place.")
        % {
            "ticket": ticket.display,
            "where": where.name,
        },
        ticket,
    )


def _park(request, counter):
    ticket = _ticket(request, counter)
    here = ticket.counter_id == counter.pk
    ticket = actions.ticket_park(ticket=ticket, clerk=request.user)
    notice = _("%(ticket)s set aside (the resident stepped away).") % {"ticket": ticket.display}
    return AtCounter(notice, ticket) if here else notice


def _unpark(request, counter):
    ticket = actions.ticket_unpark(ticket=_ticket(request, counter), clerk=request.user)
    return _("%(ticket)s is back in the queue at its place.") % {"ticket": ticket.display}


def _priority(request, counter):
    ticket = _ticket(request, counter)
    if ticket.status != TicketStatus.WAITING:
        raise Http404
    ticket = actions.ticket_set_priority(ticket=ticket, clerk=request.user)
    return _("%(ticket)s now has priority.") % {"ticket": ticket.display}


def _priority_check(request, counter):
    confirmed = request.POST.get("confirm") == "1"
    ticket = _ticket(request, counter, here=True)
    ticket = actions.ticket_priority_check(ticket=ticket, clerk=request.user, confirmed=confirmed)
    if confirmed:
        return AtCounter(_("%(ticket)s: priority confirmed.") % {"ticket": ticket.display}, ticket)
    return AtCounter(_("%(ticket)s: priority withdrawn.") % {"ticket": ticket.display}, ticket)


def _check_in(request, counter):
    code = request.POST.get("code", "")[:20]
    ticket = actions.ticket_check_in_booking(office=counter.office, code=code)
    return _("Checked in: ticket %(ticket)s for %(service)s.") % {
        "ticket": ticket.display,
        "service": ticket.service.name,
    }


def _walk_in(request, counter):
    try:
        service = counter.office.services.get(pk=int(request.POST.get("service", "")))
    except (ValueError, Service.DoesNotExist):
        raise BadRequest from None
    ticket = actions.ticket_take_walk_in(office=counter.office, service=service)
    return _("Walk-in ticket %(ticket)s issued for %(service)s.") % {
        "ticket": ticket.display,
        "service": service.name,
    }


def _open(request, counter):
    held_by = _worked_by_another(request.user, counter)
    actions.counter_open(counter=counter, clerk=request.user)
    request.session[SESSION_KEY] = counter.pk
    if held_by is not None:
        return _("You took over counter %(number)s from %(name)s.") % {
            "number": counter.number,
            "name": _clerk_name(held_by),
        }
    return _("Counter %(number)s is open.") % {"number": counter.number}


def _pause(request, counter):
    paused = request.POST.get("paused") == "1"
    actions.counter_pause(counter=counter, clerk=request.user, paused=paused)
    return _("Counter paused.") if paused else _("Counter open again.")


def _close(request, counter):
    actions.counter_close(counter=counter, clerk=request.user)
    return _("Counter closed.")


ACTIONS: dict[str, Callable[[HttpRequest, Counter], "str | AtCounter"]] = {
    "call-next": _call_next,
    "call": _call_ticket,
    "recall": _recall,
    "start": _start,
    "finish": _finish,
    "no-show": _no_show,
    "transfer": _transfer,
    "park": _park,
    "unpark": _unpark,
    "priority": _priority,
    "priority-check": _priority_check,
    "check-in": _check_in,
    "walk-in": _walk_in,
    "open": _open,
    "pause": _pause,
    "close": _close,
}


@never_cache
@require_POST
def console_action(request: HttpRequest, counter_id: int, action: str) -> HttpResponse:
    _allowed(request)
    handler = ACTIONS.get(action)
    if handler is None:
        raise Http404
    counter: Counter | console.CounterClaim
    if action in CLAIMED:
        # The counter is read (and checked: the clerk's offices, worked by nobody else) by the
        # action, in the statement that takes its lock.
        try:
            counter = console.counter_claim_for_console(request.user, counter_id)
        except Counter.DoesNotExist:
            raise Http404 from None
    else:
        counter = _counter(request, counter_id, services=False)
        holder = _worked_by_another(request.user, counter) if action != "open" else None
        if holder is not None:
            return _taken(request, counter, holder)
    done: str | AtCounter = ""
    error, nobody = "", False
    try:
        done = handler(request, counter)
    except (Ticket.DoesNotExist, Counter.DoesNotExist):  # out of reach: rolled back, nothing done
        raise Http404 from None
    except CounterTaken as exc:  # (a claimed counter) rolled back, nothing done
        return _taken(request, exc.counter, console.counter_state(exc.counter).clerk)
    except QueueEmpty as exc:  # raised once the counter was found free: nobody to show
        error, nobody = str(exc), True
    except DomainError as exc:
        error = str(exc)
    if isinstance(counter, console.CounterClaim):
        # As read with the ticket; after a refusal (rolled back), read on its own.
        if isinstance(done, AtCounter) and done.ticket.counter_id == counter.pk:
            counter = done.ticket.counter
        else:
            counter = _counter(request, counter_id, services=False)
    notice = str(done)
    if action == "close" and not error:
        messages.success(request, notice)
        return _leave(request, reverse("console:pick"))
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, notice)
        return redirect("console:counter", counter_id=counter.pk)
    if request.htmx.target == "current":
        # A button of the ticket panel: answer with what changed (the panel, the message, the
        # count, the transfer form, the called ticket's row gone); the 2 s polls do the rest.
        known = {}
        if nobody:
            known = {"current": None}
        elif isinstance(done, AtCounter):
            known = {"current": done.current(counter)}
        count = action not in SAME_WAITING or bool(error)
        if count and not error and isinstance(done, AtCounter):
            # Call next read the count with the ticket it called (after the counter's lock):
            # the others that were waiting with it.
            waiting_with = done.ticket.waiting_with
            if waiting_with is not None and done.ticket.counter_id == counter.pk:
                known["waiting_count"] = waiting_with - 1
        context = _context(counter, "answer", notice=notice, error=error, count=count, **known)
        return _render_part(request, "answer", context)
    counter = _counter(request, counter_id)  # its state may have changed
    context = _context(counter, "board", notice=notice, error=error)
    return _render_part(request, "board", context)


def _taken(request: HttpRequest, counter: Counter, holder) -> HttpResponse:
    """Nothing was done: the counter is worked by `holder` now."""
    messages.error(
        request,
        _("Counter %(number)s is now worked by %(name)s. Nothing was done.")
        % {"number": counter.number, "name": _clerk_name(holder)},
    )
    return _leave(request, reverse("console:counter", args=[counter.pk]))


def _worked_by_another(user, counter: Counter):
    """The clerk who has this counter open when that is not `user`, else None."""
    state = console.counter_held_by_another(counter, user.pk)
    return state.clerk if state is not None else None


def _clerk_name(user) -> str:
    return user.get_full_name() or user.get_username()


def _leave(request: HttpRequest, url: str) -> HttpResponse:
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


# --- the manager's live office view ------------------------------------------------------------


@never_cache
@require_GET
def office_live(request: HttpRequest, office_id: int) -> HttpResponse:
    _allowed(request, "queues.view_ticket")
    try:
        office = console.office_get_for_live(request.user, office_id)
    except Office.DoesNotExist:
        raise Http404 from None
    rows, counters = console.office_live(office)
    context = {
        "office": office,
        "rows": [r for r in rows if not r.is_quiet],
        "quiet": [r for r in rows if r.is_quiet],
        "counters": counters,
        "now": timezone.now(),
        "waiting_total": sum(r.waiting for r in rows),
        "served_total": sum(r.served for r in rows),
    }
    template = "queues/office_live.html"
    if request.htmx:
        template += "#live"
    return render(request, template, context)
