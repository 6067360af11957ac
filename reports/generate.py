"""A year of a generated city for the statistics benchmark (`manage.py generate_city_year`).

Built on the demo city (seed_demo): its offices, services, counters and appointment schedules.
Slots, bookings and tickets are written in bulk (bulk_create in large batches, one month at a
time): no actions, no messages, no audit entries per row. ID numbers are valid (GB 11643) and
stored as the models require (AES-GCM + keyed HMAC), drawn from a precomputed pool of residents
because encrypting 500,000 values one by one is the slow part.
"""

import datetime as dt
import random
import secrets
from collections import defaultdict
from collections.abc import Callable

from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from appointments.models import Booking, Schedule, Slot
from appointments.selectors import public_holidays
from core.codes import UNAMBIGUOUS_ALPHABET
from core.crypto import encrypt_text, pii_hmac
from core.idnumbers import id_check_char, mask_id_number
from queues.models import Ticket
from services.models import Counter, Office
from services.selectors import counter_services

from .actions import figures_rebuild

CODE_PREFIX = "Y"  # generated bookings only; real codes are random from the same alphabet
ALPHABET = UNAMBIGUOUS_ALPHABET
REGIONS = ("430102", "430103", "430104", "430105", "430111", "430112", "430121", "430181")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红"
BATCH = 10_000
CANCELLED_SHARE = 0.08
WALK_IN_SHARE = 0.25  # walk-ins per served booking


def _code(n: int) -> str:
    digits = []
    for _ in range(7):
        n, r = divmod(n, len(ALPHABET))
        digits.append(ALPHABET[r])
    return CODE_PREFIX + "".join(reversed(digits))


def _residents(rng: random.Random, n: int) -> list[tuple[str, str, str, str]]:
    """(name, encrypted ID number, HMAC, masked) for `n` different valid ID numbers."""
    people, seen = [], set()
    while len(people) < n:
        born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(20_000))
        first17 = f"{rng.choice(REGIONS)}{born:%Y%m%d}{rng.randrange(1000):03d}"
        number = first17 + id_check_char(first17)
        if number in seen:
            continue
        seen.add(number)
        name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))
        people.append((name, encrypt_text(number), pii_hmac(number), mask_id_number(number)))
    return people


class _City:
    """What the generator needs to know about each office, read once."""

    def __init__(self, offices: list[Office]):
        self.counters: dict[tuple[int, int], list[int]] = defaultdict(list)
        self.walk_in_services: dict[int, list] = {}
        for counter in (
            Counter.objects.filter(office__in=offices, is_active=True)
            .select_related("office")
            .prefetch_related("services__category", "office__services__category")
        ):
            for service in counter_services(counter):
                self.counters[(counter.office_id, service.pk)].append(counter.pk)
        for office in offices:
            self.walk_in_services[office.pk] = [
                s for s in office.services.select_related("category")
                if (office.pk, s.pk) in self.counters
            ]  # fmt: skip
        self.schedules = list(
            Schedule.objects.filter(office__in=offices, is_active=True)
            .prefetch_related("periods", "services__category")
            .order_by("pk")
        )


def _days(first: dt.date, last: dt.date):
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


def _slot_starts(schedule: Schedule, day: dt.date) -> list[dt.datetime]:
    starts, step = [], dt.timedelta(minutes=schedule.slot_minutes)
    for period in schedule.periods.all():
        if period.weekday != day.weekday():
            continue
        at = timezone.make_aware(dt.datetime.combine(day, period.start))
        end = timezone.make_aware(dt.datetime.combine(day, period.end))
        while at + step <= end:
            starts.append(at)
            at += step
    return starts


class Generator:
    def __init__(self, *, rng: random.Random, city: _City, people: list, fill: float):
        self.rng, self.city, self.people, self.fill = rng, city, people, fill
        self.no_show_share = {}  # per office, 11–17 %
        self.mean_wait = {}  # per office: some stations are busier
        self.code_n = 0
        self.numbers: dict[tuple, int] = defaultdict(int)
        self.counts = defaultdict(int)

    def office_traits(self, office_id: int) -> tuple[float, float]:
        if office_id not in self.no_show_share:
            self.no_show_share[office_id] = self.rng.uniform(0.11, 0.17)
            self.mean_wait[office_id] = self.rng.uniform(4.0, 14.0)
        return self.no_show_share[office_id], self.mean_wait[office_id]

    def month(self, days: list[dt.date], existing: set) -> None:
        planned = []  # (slot, [(service, status), ...])
        for schedule in self.city.schedules:
            services = [s for s in schedule.services.all() if s.is_active]
            if not services:
                continue
            no_show, _wait = self.office_traits(schedule.office_id)
            for day in days:
                for start in _slot_starts(schedule, day):
                    if (schedule.pk, start) in existing:
                        continue
                    planned.append(self._slot(schedule, start, services, no_show))
        Slot.objects.bulk_create([slot for slot, _b in planned], batch_size=BATCH)
        bookings = [self._booking(slot, service, status) for slot, b in planned
                    for service, status in b]  # fmt: skip
        Booking.objects.bulk_create(bookings, batch_size=BATCH)
        tickets = [self._booked_ticket(b) for b in bookings if b.status == "completed"]
        tickets += self._walk_ins(tickets)
        Ticket.objects.bulk_create(tickets, batch_size=BATCH)
        self.counts["slots"] += len(planned)
        self.counts["bookings"] += len(bookings)
        self.counts["tickets"] += len(tickets)

    def _slot(self, schedule, start, services, no_show):
        rng = self.rng
        bookable = schedule.bookable_per_slot
        taken = sum(1 for _ in range(bookable) if rng.random() < self.fill)
        wanted = []
        for _ in range(taken):
            r = rng.random()
            status = "no_show" if r < no_show else "completed"
            wanted.append((rng.choice(services), status))
        # A cancelled place went back and was taken again: cancellations come on top.
        cancelled = sum(1 for _ in range(taken) if rng.random() < CANCELLED_SHARE)
        wanted += [(rng.choice(services), "cancelled") for _ in range(cancelled)]
        slot = Slot(
            schedule=schedule, office_id=schedule.office_id, start=start,
            end=start + dt.timedelta(minutes=schedule.slot_minutes),
            capacity=schedule.capacity, bookable=bookable, booked=taken,
        )  # fmt: skip
        return slot, wanted

    def _booking(self, slot, service, status) -> Booking:
        name, enc, digest, masked = self.rng.choice(self.people)
        self.code_n += 1
        cancelled = status == "cancelled"
        return Booking(
            code=_code(self.code_n), slot=slot, service=service, office_id=slot.office_id,
            start=slot.start, name=name, id_number_enc=enc, id_number_hmac=digest,
            id_masked=masked, phone=f"139{self.rng.randrange(10**8):08d}", status=status,
            cancelled_at=slot.start - dt.timedelta(hours=self.rng.randrange(2, 96))
            if cancelled else None,
            cancelled_by="resident" if cancelled else "", place_released=cancelled,
        )  # fmt: skip

    def _ticket(self, *, office_id, service, arrived, booking=None, done=True) -> Ticket:
        rng = self.rng
        _no_show, mean_wait = self.office_traits(office_id)
        day = timezone.localtime(arrived).date()
        letter = service.category.ticket_letter
        self.numbers[(office_id, day, letter)] += 1
        called = finished = counter = None
        if done:
            counter = rng.choice(self.city.counters[(office_id, service.pk)])
            called = arrived + dt.timedelta(seconds=int(rng.expovariate(1 / (mean_wait * 60))))
            minutes = max(rng.gauss(service.counter_minutes, service.counter_minutes * 0.35), 2)
            finished = called + dt.timedelta(seconds=int(minutes * 60))
        return Ticket(
            office_id=office_id, service=service, day=day, letter=letter,
            number=self.numbers[(office_id, day, letter)], booking=booking,
            slot_start=booking.start if booking else None, band=1 if booking else 2,
            status="done" if done else "no_show", outcome="done" if done else "",
            counter_id=counter, arrived_at=arrived, called_at=called,
            started_at=called + dt.timedelta(seconds=30) if called else None,
            finished_at=finished, follow_token=secrets.token_urlsafe(18),
        )  # fmt: skip

    def _booked_ticket(self, booking: Booking) -> Ticket:
        early = self.rng.choice((-25, -15, -10, -5, -2, 0, 3, 10))
        arrived = booking.start + dt.timedelta(minutes=early, seconds=self.rng.randrange(60))
        return self._ticket(office_id=booking.office_id, service=booking.service,
                            arrived=arrived, booking=booking)  # fmt: skip

    def _walk_ins(self, booked: list[Ticket]) -> list[Ticket]:
        rng, found = self.rng, []
        for ticket in booked:
            if rng.random() >= WALK_IN_SHARE:
                continue
            services = self.city.walk_in_services[ticket.office_id]
            arrived = ticket.arrived_at + dt.timedelta(seconds=rng.randrange(-1800, 1800))
            found.append(self._ticket(office_id=ticket.office_id, service=rng.choice(services),
                                      arrived=arrived, done=rng.random() > 0.03))  # fmt: skip
        return found


def _places(city: _City, first: dt.date, last: dt.date, closed: set) -> int:
    per_weekday = defaultdict(int)
    for schedule in city.schedules:
        for weekday in range(7):
            probe = first + dt.timedelta(days=(weekday - first.weekday()) % 7)
            per_weekday[weekday] += len(_slot_starts(schedule, probe)) * schedule.bookable_per_slot
    return sum(per_weekday[d.weekday()] for d in _days(first, last) if d not in closed)


def city_year_generate(
    *, offices: int = 12, bookings: int = 500_000, seed: int = 1, end_date: dt.date | None = None,
    say: Callable[[str], None] = print,
) -> dict:  # fmt: skip
    """Generate a year up to `end_date` (default yesterday) for the first `offices` offices,
    about `bookings` bookings, then aggregate the figures. Refuses to run twice."""
    rng = random.Random(seed)  # noqa: S311 - made-up benchmark data, repeatable by seed
    if not Office.objects.exists():
        call_command("seed_demo", "--quiet")
    if Booking.objects.filter(code__startswith=CODE_PREFIX).exists():
        raise ValueError("this database already holds a generated year; use a fresh one")
    chosen = list(Office.objects.filter(is_active=True).order_by("pk")[:offices])
    last = end_date or timezone.localdate() - dt.timedelta(days=1)
    first = last - dt.timedelta(days=364)
    closed = public_holidays(first=first, last=last)
    city = _City(chosen)
    places = _places(city, first, last, closed)
    fill = min(bookings / (places * (1 + CANCELLED_SHARE)), 1.0) if places else 0.0
    say(f"{len(chosen)} offices, {len(city.schedules)} schedules, {places} bookable places "
        f"{first}–{last}; filling {fill:.0%}")  # fmt: skip
    people = _residents(rng, 20_000)
    generator = Generator(rng=rng, city=city, people=people, fill=fill)
    existing = set(
        Slot.objects.filter(schedule__in=city.schedules, start__date__gte=first)
        .values_list("schedule_id", "start")
    )  # fmt: skip
    days = [d for d in _days(first, last) if d not in closed]
    months = defaultdict(list)
    for day in days:
        months[(day.year, day.month)].append(day)
    for key in sorted(months):
        with transaction.atomic():
            generator.month(months[key], existing)
        say(f"  {key[0]}-{key[1]:02d}: {generator.counts['bookings']} bookings so far")
    Booking.objects.filter(code__startswith=CODE_PREFIX).update(
        created_at=F("start") - dt.timedelta(days=3)
    )
    rows = figures_rebuild(first=first, last=last, office_ids=[o.pk for o in chosen])
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # fresh planner statistics after a bulk load
    return {**generator.counts, "figure_rows": rows, "first": first, "last": last}
