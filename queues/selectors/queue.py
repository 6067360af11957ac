"""Reads of the queue. `waiting_order` is THE queue rule: every list, call and estimate uses it."""

import datetime as dt
import hashlib
import statistics
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    prefetch_related_objects,
)
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import resident_verified_contacts
from appointments.selectors import booking_list_for_account, closures_between
from core.errors import DomainError
from core.rows import row_columns, row_model, row_width
from core.sql_template import SqlTemplate
from queues.constants import ACTIVE, OPEN, Band, TicketStatus
from queues.errors import NoWalkInHours, OfficeClosed, WalkInsEnded
from queues.models import CounterState, Kiosk, Ticket, TicketEvent
from services.models import BundlePart, Channel, Counter, Office, Service
from services.selectors import (
    counter_service_ids,
    counter_services,
    counters_serving_all,
    office_open_state,
)


def waiting_order(queryset: QuerySet[Ticket], *, now: dt.datetime) -> QuerySet[Ticket]:
    """Priority tickets first; then booked tickets whose slot is due (their slot starts within
    BOOKED_LEAD_MINUTES), by slot start; then everyone else (walk-ins, late bookings, and
    bookings that came early and are not yet due) in arrival order."""
    return _in_order(queryset, due=_due(now))


def _due(now: dt.datetime) -> dt.datetime:
    return now + dt.timedelta(minutes=settings.QUEUES["BOOKED_LEAD_MINUTES"])


def _in_order(queryset: QuerySet[Ticket], *, due: dt.datetime) -> QuerySet[Ticket]:
    return queryset.annotate(
        effective_band=Case(
            When(priority=True, then=Value(Band.PRIORITY)),
            When(band=Band.BOOKED, slot_start__lte=due, then=Value(Band.BOOKED)),
            default=Value(Band.WALK_IN),
            output_field=IntegerField(),
        ),
        booked_key=Case(
            When(band=Band.BOOKED, slot_start__lte=due, priority=False, then=F("slot_start")),
            default=F("arrived_at"),
        ),
    ).order_by("effective_band", "booked_key", "arrived_at", "id")


def _waiting_for(counter: Counter, now: dt.datetime) -> QuerySet[Ticket]:
    """Waiting tickets this counter may call: its services, or transferred to it by name."""
    return _waiting_query(**_shape(counter), **_params(counter, now))


def counter_waiting(counter: Counter, *, now: dt.datetime | None = None) -> QuerySet[Ticket]:
    """The counter's waiting tickets in calling order."""
    now = now or timezone.now()
    return waiting_order(_waiting_for(counter, now), now=now)


def counter_waiting_count(counter: Counter, *, now: dt.datetime | None = None) -> int:
    """How many tickets wait for this counter (one COUNT, without the ordering)."""
    now = now or timezone.now()
    params = _params(counter, now)
    del params["due"]  # the order is not needed to count
    rows = _COUNT.rows(shape=_shape(counter), params=params)
    if rows is None:
        return _waiting_for(counter, now).count()
    return rows[0][0]


def counter_next_waiting_id(counter: Counter, *, now: dt.datetime) -> int | None:
    """The id of the first waiting ticket for this counter that no one else holds, locked
    (SELECT … FOR UPDATE SKIP LOCKED; in a transaction); None if there is none, and None while
    the counter has a ticket called or served (`counter_is_busy` tells which: one statement
    for both questions on every call). The same order as `counter_waiting`, from SQL compiled
    once (core/sql_template.py)."""
    rows = _NEXT.rows(shape=_shape(counter), params=_params(counter, now))
    if rows is None:
        rows = list(_next_query(**_shape(counter), **_params(counter, now)))
    return rows[0][0] if rows else None


def counter_next_waiting(counter: Counter, *, now: dt.datetime) -> Ticket | None:
    """counter_next_waiting_id's ticket, locked, with its service, in the same statement (the
    row a SELECT … FOR UPDATE answers with is the one it locked, as it is after the lock);
    None as counter_next_waiting_id. Where the compiled SQL cannot be reused (SQLite), the id
    first and then the ticket."""
    rows = _NEXT_ROW.rows(shape=_shape(counter), params=_params(counter, now))
    if rows is None:
        found = counter_next_waiting_id(counter, now=now)
        return None if found is None else ticket_get_with_service(found)
    if not rows:
        return None
    width, service_width = row_width(Ticket), row_width(Service)
    ticket = row_model(Ticket, rows[0][:width])
    ticket.service = row_model(Service, rows[0][width : width + service_width])
    ticket.waiting_with = rows[0][width + service_width]  # (see _next_row_query)
    return ticket


def _shape(counter: Counter) -> dict:
    return {"serves_all": counter.serves_all}


def _params(counter: Counter, now: dt.datetime) -> dict:
    return {
        "office_id": counter.office_id,
        "counter_id": counter.pk,
        "day": timezone.localdate(now),
        "due": _due(now),
    }


def _waiting_query(
    *, serves_all: bool, office_id: int, counter_id: int, day: dt.date, due: object = None
) -> QuerySet[Ticket]:
    """`_waiting_for` from plain values (what SqlTemplate replaces); `due` is not used."""
    counter = Counter(pk=counter_id, office_id=office_id, serves_all=serves_all)
    served = counter_service_ids(counter)
    # A 一件事 ticket only for a counter that serves every part of its bundle.
    part_not_served = BundlePart.objects.filter(bundle_id=OuterRef("bundle_id")).exclude(
        service_id__in=served
    )
    return Ticket.objects.filter(office_id=office_id, day=day, status=TicketStatus.WAITING).filter(
        Q(target_counter=counter)
        | Q(target_counter__isnull=True, service_id__in=served)
        & (Q(bundle__isnull=True) | ~Exists(part_not_served))
    )


def _next_locked(**values: Any) -> QuerySet:
    queryset = _in_order(_waiting_query(**values), due=values["due"])
    at_counter = Ticket.objects.filter(
        counter_id=values["counter_id"], day=values["day"], status__in=ACTIVE
    )
    queryset = queryset.filter(~Exists(at_counter))  # a counter busy today calls nobody
    return queryset.select_for_update(skip_locked=True, of=("self",))


def _next_query(**values: Any) -> QuerySet:
    return _next_locked(**values).values_list("pk")[:1]


def _next_row_query(**values: Any) -> QuerySet:
    """`_next_query` answering with every column of the ticket and of its service (in the
    order row_model reads them) instead of the id, and, last, how many tickets wait for the
    counter (the found one among them: the statement's snapshot, taken after the counter's
    lock): the answer's count without a statement of its own."""
    ticket = [f.attname for f in Ticket._meta.concrete_fields]
    service = [f"service__{f.attname}" for f in Service._meta.concrete_fields]
    # COUNT in a scalar subquery (a Func: no GROUP BY), which FOR UPDATE allows.
    count = Func(F("pk"), function="COUNT", output_field=IntegerField())
    waiting = Subquery(_waiting_query(**values).order_by().values(n=count))
    queryset = _next_locked(**values).annotate(waiting_count=waiting)
    return queryset.values_list(*ticket, *service, "waiting_count")[:1]


_NEXT = SqlTemplate(_next_query)
_NEXT_ROW = SqlTemplate(_next_row_query)
_COUNT = SqlTemplate(
    lambda **values: _waiting_query(**values).order_by().values("pk"),
    wrap="SELECT COUNT(*) FROM ({}) AS waiting",
)


def office_waiting(office: Office, *, now: dt.datetime | None = None) -> QuerySet[Ticket]:
    now = now or timezone.now()
    queryset = Ticket.objects.filter(
        office=office, day=timezone.localdate(now), status=TicketStatus.WAITING
    )
    return waiting_order(queryset, now=now)


def _counters_for(ticket: Ticket) -> list[Counter]:
    """The active counters that may call `ticket`: the one it was sent to, else every counter
    serving its service."""
    counters = (
        Counter.objects.filter(office_id=ticket.office_id, is_active=True)
        .select_related("state")
        .prefetch_related("services", "office__services")
    )
    if ticket.target_counter_id:
        return [c for c in counters if c.pk == ticket.target_counter_id]
    if ticket.bundle_id:
        parts = set(
            BundlePart.objects.filter(bundle_id=ticket.bundle_id).values_list(
                "service_id", flat=True
            )
        )
        serving = {c.pk for c in counters_serving_all(ticket.office, parts)}
        return [c for c in counters if c.pk in serving]
    return [c for c in counters if any(s.pk == ticket.service_id for s in counter_services(c))]


def _is_calling(counter: Counter) -> bool:
    state = getattr(counter, "state", None)  # select_related leaves None when it has no state
    return bool(state and state.is_open and not state.is_paused)


def _ahead(ticket: Ticket, counters: list[Counter], now: dt.datetime) -> int:
    """Waiting tickets that one of `counters` would call before `ticket`, whatever their
    service: a counter serving A and B calls the B tickets that came first too."""
    if not counters:
        callable_there = Q(service_id=ticket.service_id)
    else:
        services = {s.pk for c in counters for s in counter_services(c)}
        callable_there = Q(target_counter__in=[c.pk for c in counters]) | Q(
            target_counter__isnull=True, service_id__in=services
        )
    queue = office_waiting(ticket.office, now=now).filter(callable_there)
    ids = list(queue.values_list("id", flat=True))
    return ids.index(ticket.pk) if ticket.pk in ids else 0


def ticket_position(ticket: Ticket, *, now: dt.datetime | None = None) -> int:
    """How many waiting tickets come before this one at the counters that can serve it (0 =
    next)."""
    return ticket_wait(ticket, now=now)[0]


def ticket_wait(ticket: Ticket, *, now: dt.datetime | None = None) -> tuple[int, int]:
    """(people ahead, estimated minutes) over the counters that can serve the ticket: the
    tickets they would call first, shared among those of them open and not paused."""
    if ticket.status != TicketStatus.WAITING:
        return 0, 0
    now = now or timezone.now()
    counters = _counters_for(ticket)
    ahead = _ahead(ticket, counters, now)
    per = service_minutes(ticket.office, ticket.service_id, now=now)
    calling = max(sum(1 for c in counters if _is_calling(c)), 1)
    return ahead, round((ahead + 1) * per / calling)


def service_minutes(office: Office, service_id: int, *, now: dt.datetime | None = None) -> float:
    """Median call→finish time of the last 20 finished tickets, else the catalogue's figure."""
    now = now or timezone.now()
    recent = Ticket.objects.filter(
        office=office,
        service_id=service_id,
        status=TicketStatus.DONE,
        called_at__isnull=False,
        finished_at__gte=now - dt.timedelta(days=14),
    ).order_by("-finished_at")[:20]
    durations = [
        (t.finished_at - t.called_at).total_seconds() / 60
        for t in recent
        if t.finished_at and t.called_at  # both set: filtered above
    ]
    if durations:
        return statistics.median(durations)
    return float(Service.objects.get(pk=service_id).counter_minutes)


def ticket_get_by_follow_token(token: str) -> Ticket:
    return Ticket.objects.select_related("office", "service", "counter").get(follow_token=token)


def counter_current(counter: Counter) -> Ticket | None:
    """Today's ticket called or served at this counter (one left open on an earlier day is
    not: the day-end job closes it, and the counter calls on)."""
    return (
        Ticket.objects.filter(
            counter=counter,
            day=timezone.localdate(),
            status__in=[TicketStatus.CALLED, TicketStatus.SERVING],
        )
        .select_related("service", "booking")
        .first()
    )


def ticket_get_with_service(ticket_id: int, *, lock: bool = False) -> Ticket:
    """A ticket and its service in one plain statement (core/rows.py; the ORM's join cost
    several times the statement on every console key), row-locked if `lock` (in a
    transaction; SQLite serialises its write transactions instead). The booking, if any,
    loads when used. Raises Ticket.DoesNotExist."""
    lock_clause = " FOR UPDATE OF t" if lock and connection.features.has_select_for_update else ""
    sql = (
        f"SELECT {row_columns(Ticket, 't')}, {row_columns(Service, 's')} "  # noqa: S608
        f"FROM {Ticket._meta.db_table} t JOIN {Service._meta.db_table} s ON s.id = t.service_id "
        f"WHERE t.id = %s{lock_clause}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [ticket_id])
        row = cursor.fetchone()
    if row is None:
        raise Ticket.DoesNotExist
    width = row_width(Ticket)
    ticket = row_model(Ticket, row[:width])
    ticket.service = row_model(Service, row[width:])
    return ticket


def counter_is_busy(counter: Counter, *, day: dt.date) -> bool:
    """A ticket of `day` is called or served at this counter (one plain EXISTS, nothing
    loaded; the one-active-ticket constraint's index, which is per day too)."""
    sql = (
        f"SELECT 1 FROM {Ticket._meta.db_table} "  # noqa: S608
        "WHERE counter_id = %s AND day = %s AND status IN (%s, %s) LIMIT 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [counter.pk, day, TicketStatus.CALLED, TicketStatus.SERVING])
        return cursor.fetchone() is not None


def counter_lock_paused(counter: Counter) -> bool | None:
    """Lock the counter's state row (FOR UPDATE; SQLite serialises its write transactions)
    and say whether the counter is paused; None if it has no state row yet."""
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    sql = f"SELECT is_paused FROM {CounterState._meta.db_table} WHERE counter_id = %s{lock}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [counter.pk])
        row = cursor.fetchone()
    return None if row is None else bool(row[0])


def _today_starts() -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time.min))


def office_recent_calls(office: Office, *, limit: int = 8) -> QuerySet[TicketEvent]:
    # A range on `at` (not `at__date`) so the index on `at` serves the waiting-room poll.
    return (
        TicketEvent.objects.filter(
            office=office, kind__in=["called", "recalled"], at__gte=_today_starts()
        )
        .select_related("ticket", "counter")
        .order_by("-at", "-id")[:limit]
    )


def office_open_tickets(office: Office) -> QuerySet[Ticket]:
    return Ticket.objects.filter(office=office, day=timezone.localdate(), status__in=OPEN)


def office_get_for_screen(*, code: str) -> Office:
    return Office.objects.get(code=code, is_active=True)


def office_called_now(office: Office, *, limit: int = 4) -> QuerySet[Ticket]:
    """Tickets called and not yet answered, newest call first (the waiting-room screen)."""
    return (
        Ticket.objects.filter(office=office, day=timezone.localdate(), status=TicketStatus.CALLED)
        .select_related("counter")
        .order_by("-called_at", "-id")[:limit]
    )


def office_waiting_counts(office: Office) -> QuerySet:
    """Waiting tickets per service today, with the category's ticket letter (one query)."""
    return (
        Service.objects.filter(
            tickets__office=office,
            tickets__day=timezone.localdate(),
            tickets__status=TicketStatus.WAITING,
        )
        .select_related("category")
        .annotate(waiting=Count("tickets"))
        .order_by("category__ticket_letter", "position", "code")
    )


def kiosk_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def kiosk_from_token(token: str | None) -> Kiosk | None:
    """The active kiosk of an active office whose device token this is, else None."""
    if not token:
        return None
    return (
        Kiosk.objects.select_related("office")
        .filter(token_hash=kiosk_token_hash(token), is_active=True, office__is_active=True)
        .first()
    )


def office_walk_in_services(office: Office) -> QuerySet[Service]:
    """What a resident can take a walk-in ticket for here: the office's active counter services."""
    return (
        office.services.filter(is_active=True)
        .exclude(channel=Channel.ONLINE)
        .select_related("category")
        .order_by("category__position", "position", "code")
    )


# --- a resident's own tickets: their data export and account deletion ----------------------------


def ticket_list_for_resident(*, user: User, id_number_hmac: str = "") -> QuerySet[Ticket]:
    """A resident's tickets: those of their bookings (appointments' rule for "a resident's
    bookings"), and the walk-in tickets taken with their verified mobile number."""
    mine = Q(booking__in=booking_list_for_account(user=user, id_number_hmac=id_number_hmac))
    phone, _email = resident_verified_contacts(user)
    if phone:
        mine |= Q(booking__isnull=True, phone=phone)
    return (
        Ticket.objects.filter(mine)
        .select_related("office", "service", "counter", "booking")
        .order_by("arrived_at", "id")
    )


# --- when the kiosk gives walk-in tickets --------------------------------------------------------


def opening_words(moment: dt.datetime, *, now: dt.datetime) -> str:
    """ "today at 13:30", "tomorrow at 09:00", "on Monday, 9 March, at 09:00", translated."""
    moment, now = timezone.localtime(moment), timezone.localtime(now)
    time = formats.time_format(moment, "H:i")
    days = (moment.date() - now.date()).days
    if days == 0:
        return _("today at %(time)s") % {"time": time}
    if days == 1:
        return _("tomorrow at %(time)s") % {"time": time}
    return _("on %(weekday)s, %(date)s, at %(time)s") % {
        "weekday": formats.date_format(moment, "l"),
        "date": formats.date_format(moment, "MONTH_DAY_FORMAT"),
        "time": time,
    }


# How far ahead the kiosk looks for the next opening past closures and public holidays.
LOOKAHEAD_DAYS = 31


def _closed_days(office: Office, first: dt.date) -> set[dt.date]:
    """Days the whole office is closed (its closures and the public holidays) from `first`."""
    last = first + dt.timedelta(days=LOOKAHEAD_DAYS)
    days = set()
    for closure in closures_between(office=office, service=None, first=first, last=last):
        day = max(closure.start_date, first)
        while day <= min(closure.end_date, last):
            days.add(day)
            day += dt.timedelta(days=1)
    return days


def _next_opening(office: Office, after: dt.datetime, closed: set[dt.date]) -> dt.datetime | None:
    """The first opening after `after` (or `after` itself, when open) on a day not `closed`."""
    moment = after
    for _day in range(LOOKAHEAD_DAYS):
        state = office_open_state(office, at=moment)
        opens = moment if state.is_open else state.next_open
        if opens is None or timezone.localdate(opens) not in closed:
            return opens
        day_end = dt.datetime.combine(timezone.localdate(opens), dt.time.max)
        moment = timezone.make_aware(day_end, opens.tzinfo)
    return None


def walk_in_refusal(office: Office, *, now: dt.datetime | None = None) -> DomainError | None:
    """Why the kiosk gives no walk-in ticket now (a DomainError saying when the office opens),
    or None: outside the opening hours, on a closure or public holiday, and from
    WALK_IN_CUTOFF_MINUTES before each closing."""
    now = timezone.localtime(now or timezone.now())
    prefetch_related_objects([office], "hours")
    closed = _closed_days(office, now.date())
    state = office_open_state(office, at=now)
    if now.date() in closed or not state.is_open:
        reopens = _next_opening(office, now, closed)
        return OfficeClosed(when=opening_words(reopens, now=now)) if reopens else NoWalkInHours()
    minutes = settings.QUEUES["WALK_IN_CUTOFF_MINUTES"]
    assert state.closes_at is not None  # open now: it closes at some time
    closes = timezone.make_aware(dt.datetime.combine(now.date(), state.closes_at), now.tzinfo)
    if now < closes - dt.timedelta(minutes=minutes):
        return None
    reopens = _next_opening(office, closes, closed)
    if reopens is None:
        return NoWalkInHours()
    return WalkInsEnded(minutes=minutes, when=opening_words(reopens, now=now))
