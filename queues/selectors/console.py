"""Reads for the clerk's counter console and the manager's live office view.

Everything a clerk or manager looks up goes through `scope_to_offices`: a counter, ticket or
office of another office is simply not found (the views answer 404), by URL guessing too.
Waiting times are judged against the office's service level (green / amber / red)."""

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from accounts.selectors import office_ids_for, scope_to_offices
from core.rows import row_columns, row_model, row_width, rows_where
from queues.constants import ACTIVE, AMBER_FROM, TicketStatus, WaitLevel
from queues.models import CounterState, ServiceLevel, Ticket
from queues.selectors import counter_waiting
from services.models import Counter, Office, Service
from services.selectors import counter_services

CONSOLE_ROLES = ("clerk", "manager")
LIVE_ROLES = ("manager",)


# --- scoping -----------------------------------------------------------------------------------


def counter_list_for_console(user: User) -> QuerySet[Counter]:
    counters = Counter.objects.filter(is_active=True, office__is_active=True).select_related(
        "office", "state__clerk"
    )
    return scope_to_offices(counters, user, *CONSOLE_ROLES).order_by("office__code", "number")


def counter_get_for_console(user: User, counter_id: int, *, services: bool = True) -> Counter:
    """Raises Counter.DoesNotExist for a counter outside the user's offices. `services=False`
    skips loading what it serves (a console action filters on it in SQL instead)."""
    if not services:
        offices = office_ids_for(user, *CONSOLE_ROLES)
        return _counter_with_state(None if offices is None else tuple(sorted(offices)), counter_id)
    counters = counter_list_for_console(user)
    return counters.prefetch_related("services", "office__services").get(pk=counter_id)


def _counter_with_state(
    offices: tuple[int, ...] | None, counter_id: int, *, lock_state: bool = False
) -> Counter:
    """A console action's counter: the counter and its state only, in one plain statement
    (core/rows.py), scoped as `counter_list_for_console` (`offices`: the user's, sorted; None:
    every office); the office and the clerk load if an answer ever needs them. The ORM's version
    cost several times the statement. `lock_state`: the state row locked (FOR UPDATE OF it, in
    a transaction), and a counter without one not found."""
    if (offices is not None and not offices) or not 0 < counter_id < 2**63:
        raise Counter.DoesNotExist
    scope = "" if offices is None else f" AND c.office_id IN ({', '.join(['%s'] * len(offices))})"
    join, lock = "LEFT JOIN", ""
    if lock_state:
        join = "JOIN"
        lock = " FOR UPDATE OF st" if connection.features.has_select_for_update else ""
    sql = (
        f"SELECT {row_columns(Counter, 'c')}, {row_columns(CounterState, 'st')} "  # noqa: S608
        f"FROM {Counter._meta.db_table} c JOIN {Office._meta.db_table} o ON o.id = c.office_id "
        f"{join} {CounterState._meta.db_table} st ON st.counter_id = c.id "
        f"WHERE c.id = %s AND c.is_active AND o.is_active{scope}{lock}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [counter_id, *(offices or ())])
        row = cursor.fetchone()
    if row is None:
        raise Counter.DoesNotExist
    width = row_width(Counter)
    counter = row_model(Counter, row[:width])
    state = row_model(CounterState, row[width:]) if row[width] is not None else None
    if state is not None:
        CounterState.counter.field.set_cached_value(state, counter)
    Counter.state.related.set_cached_value(counter, state)  # None: counter.state raises
    return counter


@dataclass(frozen=True)
class CounterClaim:
    """A console action's counter before it is read: its id and the offices the clerk may work
    in (None: every office). An action on the posted ticket at that counter reads the counter
    and its state in the statement that locks the ticket (ticket_lock_at_claimed_counter):
    one statement fewer on every start, finish, recall and no-show key than reading the
    counter first."""

    pk: int
    offices: tuple[int, ...] | None


def counter_claim_for_console(user: User, counter_id: int) -> CounterClaim:
    """Raises Counter.DoesNotExist when the user works in no office (or the id fits no column),
    as counter_get_for_console would; the rest of the scope is checked with the ticket."""
    offices = office_ids_for(user, *CONSOLE_ROLES)
    if (offices is not None and not offices) or not 0 < counter_id < 2**63:
        raise Counter.DoesNotExist
    return CounterClaim(counter_id, None if offices is None else tuple(sorted(offices)))


def counter_lock_claimed(claim: CounterClaim) -> Counter:
    """The claimed counter with its state row locked (FOR UPDATE OF it; SQLite serialises its
    write transactions), in one statement: call next's lock, and the counter read, scoped as
    counter_get_for_console, with it. A counter without a state row yet is read unlocked
    (`counter.state` raises): the caller creates and locks the row. Raises
    Counter.DoesNotExist for a counter out of the claim's reach."""
    try:
        return _counter_with_state(claim.offices, claim.pk, lock_state=True)
    except Counter.DoesNotExist:
        return _counter_with_state(claim.offices, claim.pk)  # no state row yet, or not found


def ticket_lock_at_claimed_counter(ticket_id: int, claim: CounterClaim) -> tuple[Ticket, Counter]:
    """Today's ticket at the claimed counter, with its service, under its row lock (FOR UPDATE
    OF the ticket; SQLite serialises its write transactions), and the counter with its state
    read in the same statement, scoped as counter_get_for_console (an active counter of an
    active office among the claim's), returned with it and set as `ticket.counter` (its
    `state` set too: None when the counter has none). Raises Ticket.DoesNotExist when there is
    no such ticket at such a counter: the console answers 404, as it did for a counter outside
    the clerk's offices."""
    if not 0 < ticket_id < 2**63:
        raise Ticket.DoesNotExist
    lock = " FOR UPDATE OF t" if connection.features.has_select_for_update else ""
    offices = claim.offices
    scope = "" if offices is None else f" AND c.office_id IN ({', '.join(['%s'] * len(offices))})"
    sql = (
        f"SELECT {row_columns(Ticket, 't')}, {row_columns(Service, 's')}, "  # noqa: S608
        f"{row_columns(Counter, 'c')}, {row_columns(CounterState, 'st')} "
        f"FROM {Ticket._meta.db_table} t JOIN {Service._meta.db_table} s ON s.id = t.service_id "
        f"JOIN {Counter._meta.db_table} c ON c.id = t.counter_id "
        f"JOIN {Office._meta.db_table} o ON o.id = c.office_id "
        f"LEFT JOIN {CounterState._meta.db_table} st ON st.counter_id = c.id "
        f"WHERE t.id = %s AND t.counter_id = %s AND t.day = %s AND c.is_active AND o.is_active"
        f"{scope}{lock}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [ticket_id, claim.pk, timezone.localdate(), *(offices or ())])
        row = cursor.fetchone()
    if row is None:
        raise Ticket.DoesNotExist
    end_ticket = row_width(Ticket)
    end_service = end_ticket + row_width(Service)
    end_counter = end_service + row_width(Counter)
    ticket = row_model(Ticket, row[:end_ticket])
    ticket.service = row_model(Service, row[end_ticket:end_service])
    counter = row_model(Counter, row[end_service:end_counter])
    state = row_model(CounterState, row[end_counter:]) if row[end_counter] is not None else None
    if state is not None:
        CounterState.counter.field.set_cached_value(state, counter)
    Counter.state.related.set_cached_value(counter, state)  # None: counter.state raises
    Ticket.counter.field.set_cached_value(ticket, counter)
    return ticket, counter


def ticket_get_for_counter(counter: Counter, ticket_id: int) -> Ticket:
    """Today's ticket of the counter's office; raises Ticket.DoesNotExist otherwise. The
    counter comes from counter_get_for_console: already one of the user's offices."""
    if not 0 < ticket_id < 2**63:  # a posted id no column can hold: not found, as the ORM says
        raise Ticket.DoesNotExist
    found = rows_where(Ticket, id=ticket_id, office_id=counter.office_id, day=timezone.localdate())
    if not found:
        raise Ticket.DoesNotExist
    return found[0]


def office_list_for_live(user: User) -> QuerySet[Office]:
    offices = Office.objects.filter(is_active=True).order_by("code")
    return scope_to_offices(offices, user, *LIVE_ROLES, field="pk")


def office_get_for_live(user: User, office_id: int) -> Office:
    return office_list_for_live(user).get(pk=office_id)


def user_sees_live_view(user: User) -> bool:
    ids = office_ids_for(user, *LIVE_ROLES)
    return ids is None or bool(ids)


# --- service levels ----------------------------------------------------------------------------


def service_level_targets(office_id: int) -> dict[int | None, int]:
    """Target minutes by service id; the key None holds the office-wide target."""
    rows = ServiceLevel.objects.filter(office_id=office_id)
    return dict(rows.values_list("service_id", "target_minutes"))


def target_for(targets: dict[int | None, int], service_id: int) -> int:
    if service_id in targets:
        return targets[service_id]
    if None in targets:
        return targets[None]
    return settings.QUEUES["DEFAULT_TARGET_MINUTES"]


def wait_level(minutes: float, target: int) -> str:
    """Green well within the target, amber from AMBER_FROM of it, red past it."""
    if minutes > target:
        return WaitLevel.RED
    if minutes >= target * AMBER_FROM:
        return WaitLevel.AMBER
    return WaitLevel.GREEN


def minutes_since(since: dt.datetime, now: dt.datetime) -> int:
    return max(int((now - since).total_seconds() // 60), 0)


@dataclass(frozen=True)
class Breach:
    office_id: int
    service_id: int
    longest: int
    target: int


def service_level_breaches(*, now: dt.datetime) -> list[Breach]:
    """Every office and service whose longest waiting ticket has waited past its target."""
    firsts = (
        Ticket.objects.filter(day=timezone.localdate(now), status=TicketStatus.WAITING)
        .values("office_id", "service_id")
        .annotate(first=Min("arrived_at"))
        .order_by("office_id", "service_id")
    )
    targets: dict[int, dict[int | None, int]] = {}
    breaches = []
    for row in firsts:
        if row["office_id"] not in targets:
            targets[row["office_id"]] = service_level_targets(row["office_id"])
        office_targets = targets[row["office_id"]]
        target = target_for(office_targets, row["service_id"])
        longest = minutes_since(row["first"], now)
        if longest > target:
            breaches.append(Breach(row["office_id"], row["service_id"], longest, target))
    return breaches


# --- the console ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class WaitingRow:
    ticket: Ticket
    waited: int
    target: int
    level: str


def counter_state(counter: Counter) -> CounterState | None:
    try:
        return counter.state
    except CounterState.DoesNotExist:
        return None


def counter_held_by_another(counter: Counter, user_id: int | None) -> CounterState | None:
    """The counter's state when another clerk than `user_id` has it open, else None: the
    console refuses to act at such a counter."""
    state = counter_state(counter)
    if state is not None and state.is_open and state.clerk_id not in (None, user_id):
        return state
    return None


WAITING_ROWS = 40  # the longest waiting list a console shows


def counter_waiting_rows(
    counter: Counter, *, now: dt.datetime | None = None, limit: int = WAITING_ROWS
) -> list[WaitingRow]:
    """The counter's queue in calling order, each with its wait and service level colour."""
    now = now or timezone.now()
    targets = service_level_targets(counter.office_id)
    tickets = counter_waiting(counter, now=now).select_related("service", "bundle")[:limit]
    rows = []
    for ticket in tickets:
        waited = minutes_since(ticket.arrived_at, now)
        target = target_for(targets, ticket.service_id)
        rows.append(WaitingRow(ticket, waited, target, wait_level(waited, target)))
    return rows


def counter_set_aside(counter: Counter) -> list[Ticket]:
    """Today's parked and missed tickets this counter may bring back."""
    services = [s.pk for s in counter_services(counter)]
    tickets = Ticket.objects.filter(
        office_id=counter.office_id,
        day=timezone.localdate(),
        status__in=[TicketStatus.PARKED, TicketStatus.MISSED],
    ).filter(Q(service_id__in=services) | Q(counter=counter) | Q(target_counter=counter))
    return list(tickets.select_related("service").order_by("arrived_at", "id")[:20])


def counter_transfer_targets(counter: Counter) -> tuple[list[Counter], list[Service]]:
    """Where a ticket can go from here: another counter of the office, or another service."""
    counters = Counter.objects.filter(office_id=counter.office_id, is_active=True).exclude(
        pk=counter.pk
    )
    services = [s for s in counter.office.services.all() if s.is_active]
    return list(counters), sorted(services, key=lambda s: (s.category_id, s.position))


def office_services(office: Office) -> list[Service]:
    return list(office.services.filter(is_active=True).order_by("category__position", "position"))


# --- the manager's live office view ---------------------------------------------------------------


@dataclass
class CounterLive:
    counter: Counter
    state: CounterState | None
    current: Ticket | None
    service_ids: set[int]

    @property
    def is_open(self) -> bool:
        return bool(self.state and self.state.is_open)

    @property
    def is_paused(self) -> bool:
        return bool(self.state and self.state.is_open and self.state.is_paused)


@dataclass
class ServiceLive:
    service: Service
    waiting: int
    longest: int | None
    target: int
    level: str | None
    served: int
    counters: list[CounterLive] = field(default_factory=list)

    @property
    def is_quiet(self) -> bool:
        serving = any(c.current and c.current.service_id == self.service.pk for c in self.counters)
        return not (self.waiting or self.served or serving)


def office_counters_live(office: Office) -> list[CounterLive]:
    counters = (
        Counter.objects.filter(office=office, is_active=True)
        .select_related("office", "state__clerk")
        .prefetch_related("services", "office__services")
    )
    current = {
        t.counter_id: t
        for t in Ticket.objects.filter(
            office=office, day=timezone.localdate(), status__in=list(ACTIVE)
        ).select_related("service")
    }
    return [
        CounterLive(
            counter=c,
            state=counter_state(c),
            current=current.get(c.pk),
            service_ids={s.pk for s in counter_services(c)},
        )
        for c in counters
    ]


def office_live(
    office: Office, *, now: dt.datetime | None = None
) -> tuple[list[ServiceLive], list[CounterLive]]:
    """Per service: waiting, longest wait against the target, open counters, served today."""
    now = now or timezone.now()
    today = Ticket.objects.filter(office=office, day=timezone.localdate(now))
    waiting = {
        row["service_id"]: row
        for row in today.filter(status=TicketStatus.WAITING)
        .values("service_id")
        .annotate(n=Count("id"), first=Min("arrived_at"))
        .order_by()
    }
    served = dict(
        today.filter(status=TicketStatus.DONE)
        .values("service_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("service_id", "n")
    )
    targets = service_level_targets(office.pk)
    counters = office_counters_live(office)
    rows = []
    for service in office_services(office):
        wait = waiting.get(service.pk)
        target = target_for(targets, service.pk)
        longest = minutes_since(wait["first"], now) if wait else None
        rows.append(
            ServiceLive(
                service=service,
                waiting=wait["n"] if wait else 0,
                longest=longest,
                target=target,
                level=wait_level(longest, target) if longest is not None else None,
                served=served.get(service.pk, 0),
                counters=[c for c in counters if c.is_open and service.pk in c.service_ids],
            )
        )
    return rows, counters
