"""Reads of schedules, slots and bookings; the booking window and the no-show rule live here."""

import dataclasses
import datetime as dt
import time
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone, translation

from accounts.models import User
from core import workdays
from core.crypto import pii_hmac
from core.errors import DomainError
from core.idnumbers import normalize_id_number
from core.rows import row_columns, row_model, row_width, value_from_db
from services import selectors as catalogue
from services.models import Bundle, Channel, Material, Office, Service
from services.selectors import service_get_active as catalogue_service_get_active

from .constants import BookingStatus, CancelledBy, WaitStatus
from .errors import (
    BundleNotServed,
    BundleSlotTooShort,
    NotYetOpen,
    OutsideWindow,
    SlotClosed,
    SlotFull,
    SlotUnavailable,
)
from .models import Booking, Closure, MakeUpWorkingDay, Schedule, Slot, WaitingListEntry


def _rules() -> dict:
    return settings.BOOKING


@dataclass(frozen=True)
class Window:
    opens_at: dt.datetime
    closes_at: dt.datetime

    def state(self, now: dt.datetime) -> str:
        if now < self.opens_at:
            return "not_yet"
        if now >= self.closes_at:
            return "closed"
        return "open"


def slot_window(slot: Slot) -> Window:
    """A slot opens `release_days_ahead` days before its day at the release time, and closes
    `close_minutes_before` minutes before it starts."""
    schedule = slot.schedule
    local_start = timezone.localtime(slot.start)
    release_day = local_start.date() - dt.timedelta(days=schedule.release_days_ahead)
    opens = timezone.make_aware(dt.datetime.combine(release_day, schedule.release_time))
    closes = slot.start - dt.timedelta(minutes=schedule.close_minutes_before)
    return Window(opens, closes)


_LOOK_UP: Any = object()  # a sentinel: look the closure up


def slot_refusal(
    slot: Slot, service: Service, *, now: dt.datetime, closure: Closure | None = _LOOK_UP,
    count_full: bool = False,
) -> DomainError | None:
    """Why `slot` cannot be booked for `service` at `now`, or None. The booking action raises
    it; the pages and the API show it before anyone types anything. `closure` may be passed
    when the caller already looked it up for the day; `count_full` also refuses a full slot
    (the action leaves that to its conditional UPDATE)."""
    if closure is _LOOK_UP:
        day = timezone.localtime(slot.start).date()
        closure = closure_for(office=slot.office, service=service, day=day)
    # The closure first: a slot closed by one should tell the resident why.
    if closure is not None:
        return SlotClosed(reason=closure.reason)
    if slot.is_closed or not slot.schedule.is_active:
        return SlotUnavailable()
    window = slot_window(slot)
    state = window.state(now)
    if state == "not_yet":
        return NotYetOpen(when=timezone.localtime(window.opens_at).strftime("%Y-%m-%d %H:%M"))
    if state == "closed":
        return OutsideWindow()
    if count_full and slot.remaining <= 0:
        return SlotFull()
    return None


# The closures that stop a service at an office over some days: public holidays (no office), the
# whole office (no service), or that service there. Plain SQL, read on every booking: the ORM
# would spend more CPU building this query than the database spends answering it.
_CLOSURES_SQL = (
    'SELECT {columns} FROM "appointments_closure" c '
    'WHERE ("office_id" IS NULL OR ("office_id" = %s AND ("service_id" IS NULL{service}))) '
    'AND "start_date" <= %s AND "end_date" >= %s '
    'ORDER BY "office_id", "service_id"{limit}'
)


def _closures(
    office: Office, service: Service | None, first: dt.date, last: dt.date, limit: str = ""
) -> list[Closure]:
    scope = "" if service is None else ' OR "service_id" = %s'
    params: list[Any] = [office.pk, *([] if service is None else [service.pk]), last, first]
    sql = _CLOSURES_SQL.format(columns=row_columns(Closure, "c"), service=scope, limit=limit)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row_model(Closure, row) for row in cursor.fetchall()]


def closure_for(*, office: Office, service: Service | None, day: dt.date) -> Closure | None:
    """The closure (or public holiday) that stops `service` at `office` on `day`, if any."""
    return next(iter(_closures(office, service, day, day, limit=" LIMIT 1")), None)


def closures_between(
    *, office: Office, service: Service | None, first: dt.date, last: dt.date
) -> list[Closure]:
    """The closures that stop `service` at `office` on any day from `first` to `last`."""
    return list(_closures(office, service, first, last))


_OFFERS_SQL = (
    'EXISTS (SELECT 1 FROM "appointments_schedule_services" ss '
    'WHERE ss."schedule_id" = s."schedule_id" AND ss."service_id" = %s)'
)
_SLOT_JOINS_SQL = (
    f'FROM "{Slot._meta.db_table}" s '
    f'JOIN "{Schedule._meta.db_table}" sch ON sch."id" = s."schedule_id" '
    f'JOIN "{Office._meta.db_table}" o ON o."id" = s."office_id"'
)


def _slot_columns() -> str:
    return f"{row_columns(Slot, 's')}, {row_columns(Schedule, 'sch')}, {row_columns(Office, 'o')}"


@cache
def _slot_for_booking_sql(vendor: str) -> str:
    """The slot with its schedule and office, and whether the schedule offers a service: one
    statement, read on every booking (the ORM would spend more CPU building it than the
    database answering it)."""
    # Names from the models' metadata; the two values are parameters.
    return f'SELECT {_slot_columns()}, {_OFFERS_SQL} {_SLOT_JOINS_SQL} WHERE s."id" = %s'  # noqa: S608


def slot_for_booking(*, slot_id: int, service: Service) -> tuple[Slot, bool]:
    """The slot to book and whether its schedule offers `service`. Raises Slot.DoesNotExist."""
    with connection.cursor() as cursor:
        cursor.execute(_slot_for_booking_sql(connection.vendor), [service.pk, slot_id])
        row = cursor.fetchone()
    if row is None:
        raise Slot.DoesNotExist(f"no slot {slot_id}")
    first, second = row_width(Slot), row_width(Slot) + row_width(Schedule)
    slot = row_model(Slot, row[:first])
    slot.schedule = row_model(Schedule, row[first:second])
    slot.office = row_model(Office, row[second:-1])
    return slot, bool(row[-1])


# Active services by code, kept by each process for API_LOOKUP_CACHE_SECONDS: the booking API
# reads one at every booking. Saving or deleting a service forgets them in this process
# (receivers.py); the other processes see the change within those seconds.
_SERVICES: dict[str, tuple[float, Service]] = {}  # code: (read at, service)


def service_for_booking(*, code: str) -> Service | None:
    """The active service with this code, or None (kept for a few seconds, see above)."""
    now, seconds = time.time(), settings.API_LOOKUP_CACHE_SECONDS
    kept = _SERVICES.get(code)
    if kept is not None and 0 <= now - kept[0] < seconds:
        return kept[1]
    service = catalogue_service_get_active(code=code)
    if service is not None and seconds > 0:
        if len(_SERVICES) >= 1000:
            _SERVICES.clear()
        _SERVICES[code] = (now, service)
    return service


def services_forget() -> None:
    _SERVICES.clear()


@dataclass
class BookingRead:
    """What a new booking checks before it writes (booking_read)."""

    slot: Slot  # with its schedule and office
    offers_service: bool
    closure: Any  # Closure | None, or _LOOK_UP: not read (slot_refusal reads it)
    restricted_until: dt.datetime | None  # the no-show rule's pause
    active: bool  # the person holds an active booking for the service
    # PostgreSQL only (None elsewhere): the person's bookings counted on the slot's local day
    # (PersonQuota), and when the slot was full, whether a place given back by a resident is
    # past its embargo and can come back.
    quota_taken: int | None = None
    places_due: bool | None = None


@cache
def _booking_read_sql(vendor: str) -> str:
    """slot_for_booking's statement, with the person's active bookings for the service and
    no-shows in the window counted, and on PostgreSQL the slot's closure (closure_for's, on
    the slot's local day): one round trip where there were three."""
    person = (
        '(SELECT count(*) FROM "appointments_booking" b WHERE b."id_number_hmac" = %s '
        'AND b."status" = %s AND b."service_id" = %s), '
        '(SELECT count(*) FROM "appointments_booking" b WHERE b."id_number_hmac" = %s '
        'AND b."status" = %s AND b."start" >= %s)'
    )
    select = f"SELECT {_slot_columns()}, {_OFFERS_SQL}, {person}"
    if vendor != "postgresql":
        return f'{select} {_SLOT_JOINS_SQL} WHERE s."id" = %s'
    day = '(s."start" AT TIME ZONE %s)::date'
    closure = (
        f"LEFT JOIN LATERAL (SELECT {row_columns(Closure, 'cl')} "  # noqa: S608 - names only
        'FROM "appointments_closure" cl WHERE (cl."office_id" IS NULL OR '
        '(cl."office_id" = s."office_id" AND (cl."service_id" IS NULL OR cl."service_id" = %s))) '
        f'AND cl."start_date" <= {day} AND cl."end_date" >= {day} '
        'ORDER BY cl."office_id", cl."service_id" LIMIT 1) c ON true'
    )
    columns = row_columns(Closure, "c")
    quota = f'(SELECT pq."count" FROM "appointments_personquota" pq WHERE pq."id_number_hmac" = %s AND pq."date" = {day})'  # noqa: S608, E501 - names only
    # Only when the slot is full: actions.booking._DUE_SQL, for this slot.
    due = (
        'CASE WHEN s."booked" >= s."bookable" THEN EXISTS (SELECT 1 FROM "appointments_booking" d '
        'WHERE d."slot_id" = s."id" AND d."status" = %s AND d."cancelled_by" = %s '
        'AND d."place_released" = %s AND d."cancelled_at" <= %s) END'
    )
    return f'{select}, {columns}, {quota}, {due} {_SLOT_JOINS_SQL} {closure} WHERE s."id" = %s'


def booking_read(
    *, slot_id: int, service: Service, id_hmac: str, now: dt.datetime
) -> BookingRead:
    """slot_for_booking and person_booking_obstacles (and on PostgreSQL the slot's closure) in
    one statement. Raises Slot.DoesNotExist."""
    vendor = connection.vendor
    since = Booking._meta.get_field("start").get_db_prep_value(_no_shows_since(now), connection)
    params = [
        service.pk,
        *(id_hmac, BookingStatus.BOOKED, service.pk, id_hmac, BookingStatus.NO_SHOW, since),
    ]
    if vendor == "postgresql":
        cutoff = now - dt.timedelta(minutes=settings.BOOKING["CANCEL_EMBARGO_MINUTES"])
        params += [id_hmac, settings.TIME_ZONE]
        params += [BookingStatus.CANCELLED, CancelledBy.RESIDENT, False, cutoff]
        params += [service.pk, settings.TIME_ZONE, settings.TIME_ZONE]
    params.append(slot_id)
    with connection.cursor() as cursor:
        cursor.execute(_booking_read_sql(vendor), params)
        row = cursor.fetchone()
    if row is None:
        raise Slot.DoesNotExist(f"no slot {slot_id}")
    first, second = row_width(Slot), row_width(Slot) + row_width(Schedule)
    third = second + row_width(Office)
    slot = row_model(Slot, row[:first])
    slot.schedule = row_model(Schedule, row[first:second])
    slot.office = row_model(Office, row[second:third])
    offers, active, no_shows = row[third : third + 3]
    closure: Closure | None | object = _LOOK_UP
    quota_taken, places_due = None, None
    if vendor == "postgresql":
        values = row[third + 3 : -2]
        closure = row_model(Closure, values) if values[0] is not None else None
        quota_taken, places_due = row[-2] or 0, row[-1]
    restricted = None
    if no_shows >= _rules()["NO_SHOW_LIMIT"]:  # only then can the rule pause booking
        restricted, _active = person_booking_obstacles(id_hmac=id_hmac, service=service, now=now)
    return BookingRead(
        slot, bool(offers), closure, restricted, active > 0, quota_taken, places_due
    )


def public_holidays(*, first: dt.date, last: dt.date) -> set[dt.date]:
    """Every public holiday between two dates: the days of closures that have no office. Time
    limits in working days (core.workdays) skip them."""
    days: set[dt.date] = set()
    for start, end in Closure.objects.filter(
        office__isnull=True, service__isnull=True, start_date__lte=last, end_date__gte=first
    ).values_list("start_date", "end_date"):
        day = max(start, first)
        while day <= min(end, last):
            days.add(day)
            day += dt.timedelta(days=1)
    return days


def make_up_working_days(*, first: dt.date, last: dt.date) -> set[dt.date]:
    """The make-up working days the administrator declared between two dates."""
    return set(
        MakeUpWorkingDay.objects.filter(date__gte=first, date__lte=last).values_list(
            "date", flat=True
        )
    )


def calendar_overrides(first: dt.date, last: dt.date) -> workdays.Overrides:
    """The administrator's part of the working-day calendar, registered with core.workdays from
    AppointmentsConfig.ready(): public holidays and make-up working days."""
    return workdays.Overrides(
        frozenset(public_holidays(first=first, last=last)),
        frozenset(make_up_working_days(first=first, last=last)),
    )


def working_days_after(*, start: dt.date, days: int) -> dt.date:
    """Kept for callers inside appointments; the calendar is core.workdays.working_days_after."""
    return workdays.working_days_after(start=start, days=days)


def _no_shows_since(now: dt.datetime) -> dt.datetime:
    rules = _rules()
    return now - dt.timedelta(days=rules["NO_SHOW_WINDOW_DAYS"] + rules["NO_SHOW_BAN_DAYS"])


def person_restricted_until(*, id_hmac: str, now: dt.datetime | None = None) -> dt.datetime | None:
    """3 no-shows within 90 days pause booking for 30 days after the one that reached the limit."""
    now = now or timezone.now()
    no_shows = Booking.objects.filter(
        id_number_hmac=id_hmac, status=BookingStatus.NO_SHOW, start__gte=_no_shows_since(now)
    ).values_list("start", flat=True)
    return _restricted_until(sorted(no_shows), now)


# Plain SQL, read on every booking (the ORM would spend more CPU building it than running it).
_OBSTACLES_SQL = (
    'SELECT "status", "start" FROM "appointments_booking" WHERE "id_number_hmac" = %s '
    'AND (("status" = %s AND "start" >= %s) OR ("status" = %s AND "service_id" = %s))'
)


def person_booking_obstacles(
    *, id_hmac: str, service: Service, now: dt.datetime
) -> tuple[dt.datetime | None, bool]:
    """For a new booking, in one query: until when the no-show rule pauses this person's booking
    (or None), and whether they already hold an active booking for `service`."""
    start = Booking._meta.get_field("start")
    params = [
        id_hmac,
        BookingStatus.NO_SHOW,
        start.get_db_prep_value(_no_shows_since(now), connection),
        BookingStatus.BOOKED,
        service.pk,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_OBSTACLES_SQL, params)
        rows = [(status, value_from_db(start, value)) for status, value in cursor.fetchall()]
    no_shows, active = [], False
    for status, start in rows:
        if status == BookingStatus.NO_SHOW:
            no_shows.append(start)
        else:
            active = True
    return _restricted_until(sorted(no_shows), now), active


def _restricted_until(no_shows: list[dt.datetime], now: dt.datetime) -> dt.datetime | None:
    """The no-show rule itself, over one person's no-shows (oldest first)."""
    rules = _rules()
    window = dt.timedelta(days=rules["NO_SHOW_WINDOW_DAYS"])
    ban = dt.timedelta(days=rules["NO_SHOW_BAN_DAYS"])
    limit = rules["NO_SHOW_LIMIT"]
    latest_end = None
    for i in range(limit - 1, len(no_shows)):
        if no_shows[i] - no_shows[i - limit + 1] <= window:
            end = no_shows[i] + ban
            if end > now:
                latest_end = end
    return latest_end


def _offering(service: Service, bundle: Bundle | None, prefix: str = "schedule__") -> Q:
    """The schedules a picker shows: the service's, or for a 一件事 visit the bundle's own
    (bundle_schedule_ids: long enough, at an office with a counter serving every part)."""
    if bundle is None:
        return Q(**{f"{prefix}services": service})
    return Q(**{f"{prefix}pk__in": bundle_schedule_ids(bundle)})


def slots_for(
    *, office: Office, service: Service, day: dt.date, bundle: Bundle | None = None
) -> QuerySet[Slot]:
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return (
        Slot.objects.filter(
            _offering(service, bundle),
            office=office,
            schedule__is_active=True,
            start__gte=start,
            start__lt=start + dt.timedelta(days=1),
        )
        .select_related("schedule")
        .order_by("start")
    )


@dataclass
class DayAvailability:
    day: dt.date
    state: str  # open, full, closed, not_yet, past, none
    remaining: int
    opens_at: dt.datetime | None = None
    reason: str = ""


def availability_calendar(
    *,
    office: Office,
    service: Service,
    first: dt.date,
    days: int,
    now: dt.datetime | None = None,
    bundle: Bundle | None = None,
) -> list[DayAvailability]:
    """One entry per day: whether it can be booked now and how many places are left."""
    now = now or timezone.now()
    last = first + dt.timedelta(days=days - 1)
    start = timezone.make_aware(dt.datetime.combine(first, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min))
    slots = list(
        Slot.objects.filter(
            _offering(service, bundle),
            office=office,
            schedule__is_active=True,
            start__gte=start,
            start__lt=end,
        ).select_related("schedule")
    )
    closures = closures_between(office=office, service=service, first=first, last=last)
    result = []
    for offset in range(days):
        day = first + dt.timedelta(days=offset)
        closure = next((c for c in closures if c.start_date <= day <= c.end_date), None)
        todays = [s for s in slots if timezone.localtime(s.start).date() == day]
        result.append(_day_state(day, todays, closure, now))
    return result


def _day_state(
    day: dt.date, slots: list[Slot], closure: Closure | None, now: dt.datetime
) -> DayAvailability:
    if closure is not None:
        return DayAvailability(day, "closed", 0, reason=closure.reason)
    if not slots:
        return DayAvailability(day, "none", 0)
    windows = [(s, slot_window(s)) for s in slots if not s.is_closed]
    if not windows:
        return DayAvailability(day, "closed", 0)
    open_now = [s for s, w in windows if w.state(now) == "open"]
    if open_now:
        remaining = sum(s.remaining for s in open_now)
        return DayAvailability(day, "open" if remaining else "full", remaining)
    future = [w.opens_at for s, w in windows if w.state(now) == "not_yet"]
    if future:
        return DayAvailability(day, "not_yet", 0, opens_at=min(future))
    return DayAvailability(day, "past", 0)


def booking_list_for_person(*, id_number: str) -> QuerySet[Booking]:
    return Booking.objects.filter(id_number_hmac=pii_hmac(normalize_id_number(id_number)))


def booking_list_for_account(*, user: User, id_number_hmac: str = "") -> QuerySet[Booking]:
    """A resident's bookings: those linked to the account, and those made (with or without an
    account) for the ID number linked to it."""
    mine = Q(user=user)
    if id_number_hmac:
        mine |= Q(id_number_hmac=id_number_hmac)
    return (
        Booking.objects.filter(mine)
        .select_related("service__category", "office")
        .order_by("-start", "-id")
    )


def waiting_position(entry: WaitingListEntry) -> int | None:
    """1 for the next person to be offered a place on that day; None once no longer waiting."""
    if entry.status != WaitStatus.WAITING:
        return None
    ahead = WaitingListEntry.objects.filter(
        Q(created_at__lt=entry.created_at) | Q(created_at=entry.created_at, id__lt=entry.id),
        office_id=entry.office_id,
        service_id=entry.service_id,
        date=entry.date,
        status=WaitStatus.WAITING,
    )
    return ahead.count() + 1


# --- the resident's booking pages: what can be booked, the day picker, the release rule ---------


def service_list_bookable(*, query: str = "") -> QuerySet[Service]:
    """Public services bookable at a counter with an active schedule at an active office,
    narrowed by the resident's search."""
    services = catalogue.service_filter_channel(catalogue.service_list_public(), Channel.COUNTER)
    scheduled = Schedule.objects.filter(is_active=True, office__is_active=True).values("services")
    return catalogue.service_search(services.filter(pk__in=scheduled), query)


def office_list_bookable(*, service: Service) -> QuerySet[Office]:
    """Active offices offering `service` with an active appointment schedule for it."""
    scheduled = Schedule.objects.filter(is_active=True, services=service).values("office_id")
    return catalogue.office_list_public().filter(services=service, pk__in=scheduled)


def slot_get_bookable(*, slot_id: int, office: Office, service: Service) -> Slot | None:
    """The slot, if it belongs to `office` and an active schedule of `service`."""
    return (
        Slot.objects.select_related("schedule", "office")
        .filter(pk=slot_id, office=office, schedule__services=service, schedule__is_active=True)
        .first()
    )


def booking_get_by_code(*, code: str) -> Booking | None:
    return (
        Booking.objects.select_related("service__category", "office__district", "slot__schedule")
        .filter(code=code)
        .first()
    )


def booking_moved_to(*, booking: Booking) -> Booking | None:
    """The booking this one was rescheduled into, if any."""
    return Booking.objects.filter(rescheduled_from=booking).only("code").first()


@dataclass
class SlotRow:
    slot: Slot
    state: str  # open, full, closed, current
    remaining: int


def slot_rows_for_day(
    *,
    office: Office,
    service: Service,
    day: dt.date,
    now: dt.datetime,
    current: int | None,
    bundle: Bundle | None = None,
) -> list[SlotRow]:
    """The day's future times as the picker shows them: open, full, closed or the booking's own."""
    rows = []
    for slot in slots_for(office=office, service=service, day=day, bundle=bundle):
        if slot.start <= now:
            continue
        if slot.pk == current:
            state = "current"
        elif slot.is_closed or slot_window(slot).state(now) != "open":
            state = "closed"
        else:
            state = "open" if slot.remaining else "full"
        rows.append(SlotRow(slot, state, slot.remaining))
    return rows


def calendar_days(
    *,
    office: Office,
    service: Service,
    first: dt.date,
    days: int,
    now: dt.datetime,
    bundle: Bundle | None = None,
) -> list[DayAvailability]:
    """The picker's calendar, with the release rule applied to days not yet released."""
    found = availability_calendar(
        office=office, service=service, first=first, days=days, now=now, bundle=bundle
    )
    return days_mark_unreleased(found, office=office, service=service, now=now, bundle=bundle)


def days_mark_unreleased(
    days: list[DayAvailability],
    *,
    office: Office,
    service: Service,
    now: dt.datetime,
    bundle: Bundle | None = None,
) -> list[DayAvailability]:
    """The release rule: slots exist only as far ahead as they have been generated; a later day
    on which the schedule takes appointments is shown as "opens <release time>" (the release
    days ahead, at the release time) rather than as empty."""
    schedules = Schedule.objects.filter(
        _offering(service, bundle, prefix=""), office=office, is_active=True
    ).prefetch_related("periods")
    result = []
    for day in days:
        if day.state == "none":
            future = [o for o in _release_times(schedules, day.day) if o > now]
            if future:
                day = dataclasses.replace(day, state="not_yet", opens_at=min(future))
        result.append(day)
    return result


def _release_times(schedules: QuerySet[Schedule], day: dt.date) -> list[dt.datetime]:
    return [
        timezone.make_aware(
            dt.datetime.combine(day - dt.timedelta(days=s.release_days_ahead), s.release_time)
        )
        for s in schedules
        if (s.valid_from is None or s.valid_from <= day)
        and (s.valid_until is None or day <= s.valid_until)
        and any(p.weekday == day.weekday() for p in s.periods.all())
    ]


# --- 一件事: a bundle booked as one visit -------------------------------------------------------


def bundle_minutes(parts: list[Service]) -> int:
    """How long one visit for every part takes at the counter: the parts' minutes added up."""
    return sum(part.counter_minutes for part in parts)


def bundle_schedule_ids(bundle: Bundle) -> list[int]:
    """The active schedules that take this bundle as one visit and can: slots at least as long
    as all its parts together, at an active office offering every part, with an active counter
    that serves them all (so the one ticket is handled at one counter)."""
    return _schedules_taking(bundle, catalogue.bundle_parts(bundle), Schedule.objects.all())


def _schedules_taking(
    bundle: Bundle, parts: list[Service], among: QuerySet[Schedule]
) -> list[int]:
    """The schedules `among` that take the bundle as one visit and can (bundle_schedule_ids)."""
    schedules = list(
        among.filter(
            bundles=bundle,
            is_active=True,
            office__is_active=True,
            slot_minutes__gte=bundle_minutes(parts),
        ).values_list("pk", "office_id")
    )
    able = catalogue.offices_serving_all(
        {office_id for _pk, office_id in schedules}, {part.pk for part in parts}
    )
    return [pk for pk, office_id in schedules if office_id in able]


def bundle_slot_refusal(*, slot: Slot, bundle: Bundle) -> DomainError | None:
    """Why `slot` cannot be one visit for the whole bundle, or None."""
    parts = catalogue.bundle_parts(bundle)
    if not parts:
        return BundleNotServed()
    # The slot's own schedule only: the bundle's other schedules say nothing about this slot.
    if _schedules_taking(bundle, parts, Schedule.objects.filter(pk=slot.schedule_id)):
        # booking_create checks the closures of the first part (the booking's service); a
        # closure of any other part that day stops the visit too.
        day = timezone.localtime(slot.start).date()
        for part in parts[1:]:
            closure = closure_for(office=slot.office, service=part, day=day)
            if closure is not None:
                return SlotClosed(reason=closure.reason)
        return None
    minutes = bundle_minutes(parts)
    if slot.schedule.bundles.filter(pk=bundle.pk).exists() and (
        slot.schedule.slot_minutes < minutes
    ):
        return BundleSlotTooShort(minutes=minutes)
    return BundleNotServed()


def office_list_bookable_for_bundle(*, bundle: Bundle) -> QuerySet[Office]:
    """Active offices where the bundle can be booked as one visit."""
    ids = bundle_schedule_ids(bundle)
    offices = Schedule.objects.filter(pk__in=ids).values("office_id")
    return catalogue.office_list_public().filter(pk__in=offices)


def bundle_slot_get_bookable(*, slot_id: int, office: Office, bundle: Bundle) -> Slot | None:
    return (
        Slot.objects.select_related("schedule", "office")
        .filter(pk=slot_id, office=office, schedule_id__in=bundle_schedule_ids(bundle))
        .first()
    )


def booking_parts(booking: Booking) -> list[Service]:
    """The services a booking is for: its service, or every part of its 一件事 bundle."""
    return catalogue.bundle_parts(booking.bundle) if booking.bundle else [booking.service]


def booking_title(booking: Booking) -> str:
    """What the confirmation names: the service, or the bundle with its parts (one
    confirmation for them all), in the current language."""
    bundle = booking.bundle
    if bundle is None:
        return str(booking.service.name)
    names = [str(part.name) for part in booking_parts(booking)]
    if (translation.get_language() or "").startswith("zh"):
        return f"{bundle.name}（{'、'.join(names)}）"
    return f"{bundle.name} ({', '.join(names)})"


def booking_materials(booking: Booking) -> list[Material]:
    """What to bring, a material several parts need listed once (the ID card)."""
    found: dict[str, Material] = {}
    for part in booking_parts(booking):
        for material in part.materials.all():  # in position order (Meta); prefetched or not
            found.setdefault(str(material.name), material)
    return list(found.values())
