"""Reads of the catalogue. Pages, the API and the admin all come through here."""

import datetime as dt
from dataclasses import dataclass
from itertools import zip_longest
from typing import TYPE_CHECKING, TypedDict

from django.db.models import Case, CharField, Count, F, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.functional import Promise as StrOrPromise

from core.rows import rows_where

from . import search
from .models import (
    Bundle,
    BundlePart,
    Category,
    Channel,
    Counter,
    District,
    Material,
    Office,
    OpeningHours,
    Service,
    ServiceAlias,
)

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

_CHANNEL_MATCHES: dict[str, tuple[str, ...]] = {
    Channel.COUNTER: (Channel.COUNTER, Channel.BOTH),
    Channel.ONLINE: (Channel.ONLINE, Channel.BOTH),
    Channel.BOTH: (Channel.BOTH,),
}


def category_list() -> QuerySet[Category]:
    return Category.objects.annotate(
        active_services=Count("services", filter=Q(services__is_active=True))
    )


def district_list() -> QuerySet[District]:
    return District.objects.annotate(
        active_offices=Count("offices", filter=Q(offices__is_active=True))
    )


def service_search(queryset: QuerySet[Service], text: str) -> QuerySet[Service]:
    """The services of `queryset` that match what a resident typed, best match first (see
    services/search.py for the tiers). Materials are left out on purpose: "card" must not list
    every service that asks for an ID card. One selector for the pages and the API."""
    if not (text or "").strip():
        return queryset
    query = search.normalise(text)
    if not query:  # only punctuation or wildcards: nothing to look for
        return queryset.none()
    ranked = service_search_scores(queryset, query)
    if not ranked:
        return queryset.none()
    order = Case(*(When(pk=pk, then=Value(rank)) for rank, pk in enumerate(ranked)))
    return queryset.filter(pk__in=ranked).order_by(order)


def service_search_scores(queryset: QuerySet[Service], query: str) -> list[int]:
    """Primary keys of the matching services, best first; ties keep the catalogue order."""
    rows = list(
        queryset.values_list(
            "pk",
            "code",
            "name_zh",
            "name_en",
            "description_zh",
            "description_en",
            "category__name_zh",
            "category__name_en",
        )
    )
    terms: dict[int, list[str]] = {}
    for service_id, term in ServiceAlias.objects.filter(
        service__in=[row[0] for row in rows]
    ).values_list("service_id", "term"):
        terms.setdefault(service_id, []).append(search.normalise(term))
    query_words = search.words(query)
    scored = []
    for index, (pk, code, name_zh, name_en, *text) in enumerate(rows):
        keys = search.Keys(
            names=tuple(search.normalise(v) for v in (name_zh, name_en, code)),
            terms=tuple(terms.get(pk, ())),
            text=" ".join(search.normalise(v) for v in text),
        )
        points = search.score(query, query_words, keys)
        if points:
            scored.append((-points, index, pk))
    if scored and -min(scored)[0] >= search.ALL_WORDS_TEXT:
        # Something matched in full: services sharing only some words would be noise.
        scored = [row for row in scored if -row[0] >= search.ALL_WORDS_TEXT]
    return [pk for *_, pk in sorted(scored)]


def service_search_suggestions(*, limit: int = 8) -> list[str]:
    """Search terms to offer when nothing matched: each service's first one, taken from the
    categories in turn so that every business line shows up."""
    by_category: dict[int, list[str]] = {}
    rows = ServiceAlias.objects.filter(service__is_active=True, position=1).order_by(
        "service__category__position", "service__position"
    )
    for category_id, term in rows.values_list("service__category_id", "term"):
        by_category.setdefault(category_id, []).append(term)
    interleaved = [term for group in zip_longest(*by_category.values()) for term in group if term]
    return interleaved[:limit]


def service_filter_channel(queryset: QuerySet[Service], channel: str) -> QuerySet[Service]:
    """A resident asking for counter services also wants those offered both ways."""
    if channel not in _CHANNEL_MATCHES:
        return queryset
    return queryset.filter(channel__in=_CHANNEL_MATCHES[channel])


def service_list_public() -> QuerySet[Service]:
    return (
        Service.objects.filter(is_active=True)
        .select_related("category")
        .annotate(office_count=Count("offices", filter=Q(offices__is_active=True), distinct=True))
        .order_by("category__position", "position", "code")
    )


def service_list_active() -> QuerySet[Service]:
    """Active services without annotations: for lookups by code on hot paths."""
    return Service.objects.filter(is_active=True)


def service_get_active(*, code: str) -> Service | None:
    """An active service by its code, or None: one plain statement (every booking reads it)."""
    found = rows_where(Service, code=code, is_active=True)
    return found[0] if found else None


def service_get_public(*, code: str) -> Service:
    """One active service with its checklist, the active offices that offer it and its form."""
    return (
        service_with_online_application(Service.objects.filter(is_active=True))
        .select_related("category")
        .prefetch_related(
            Prefetch("materials", queryset=Material.objects.order_by("position", "id")),
            Prefetch(
                "offices",
                queryset=Office.objects.filter(is_active=True)
                .select_related("district")
                .prefetch_related("hours"),
            ),
        )
        .get(code=code)
    )


def office_list_public() -> QuerySet[Office]:
    return (
        Office.objects.filter(is_active=True)
        .select_related("district")
        .prefetch_related("hours")
        .annotate(
            service_count=Count("services", filter=Q(services__is_active=True), distinct=True)
        )
        .order_by("district__position", "code")
    )


def office_search(queryset: QuerySet[Office], text: str) -> QuerySet[Office]:
    for term in (text or "").split():
        queryset = queryset.filter(
            Q(name_zh__icontains=term)
            | Q(name_en__icontains=term)
            | Q(address_zh__icontains=term)
            | Q(address_en__icontains=term)
            | Q(code__icontains=term)
        )
    return queryset


def office_get_public(*, code: str) -> Office:
    return (
        Office.objects.filter(is_active=True)
        .select_related("district")
        .prefetch_related(
            "hours",
            Prefetch(
                "services",
                queryset=Service.objects.filter(is_active=True).select_related("category"),
            ),
            Prefetch(
                "counters",
                queryset=Counter.objects.filter(is_active=True).prefetch_related("services"),
            ),
        )
        .get(code=code)
    )


def counter_services(counter: Counter) -> list[Service]:
    """What a counter serves: everything its office offers when it is a one-window counter."""
    if counter.serves_all:
        return [s for s in counter.office.services.all() if s.is_active]
    return [s for s in counter.services.all() if s.is_active]


def counter_service_ids(counter: Counter) -> QuerySet:
    """The ids of what `counter_services` lists, as a subquery: a filter on it costs no query
    of its own and needs nothing prefetched (the console's actions)."""
    if counter.serves_all:
        offered = Office.services.through.objects.filter(office_id=counter.office_id)
        return offered.filter(service__is_active=True).values("service_id")
    links = Counter.services.through.objects.filter(counter_id=counter.pk)
    return links.filter(service__is_active=True).values("service_id")


@dataclass(frozen=True)
class OpenState:
    is_open: bool
    today: list[OpeningHours]
    closes_at: dt.time | None
    next_open: dt.datetime | None


def office_open_state(office: Office, *, at: dt.datetime | None = None) -> OpenState:
    """Whether the office is open at `at` (default now, local time), and when it next opens."""
    now = timezone.localtime(at or timezone.now())
    hours = sorted(office.hours.all(), key=lambda h: (h.weekday, h.opens))
    today = [h for h in hours if h.weekday == now.weekday()]
    for period in today:
        if period.opens <= now.time() < period.closes:
            return OpenState(True, today, period.closes, None)
    return OpenState(False, today, None, _next_opening(hours, now))


def _next_opening(hours: list[OpeningHours], now: dt.datetime) -> dt.datetime | None:
    for offset in range(0, 8):
        day = now.date() + dt.timedelta(days=offset)
        for period in hours:
            if period.weekday != day.weekday():
                continue
            start = timezone.make_aware(dt.datetime.combine(day, period.opens), now.tzinfo)
            if start > now:
                return start
    return None


def office_week_hours(office: Office) -> list[tuple[int, StrOrPromise, list[OpeningHours]]]:
    """Monday to Sunday, each with its periods (empty list: closed all day)."""
    from .models import Weekday

    hours = list(office.hours.all())
    return [
        (
            day.value,
            day.label,
            sorted((h for h in hours if h.weekday == day.value), key=lambda h: h.opens),
        )
        for day in Weekday
    ]


class OnlineApplication(TypedDict):
    """What `service_with_online_application` annotates."""

    online_apply_code: str


def service_with_online_application(
    services: QuerySet[Service],
) -> "QuerySet[WithAnnotations[Service, OnlineApplication]]":
    """Annotate `online_apply_code`: the code of the service's active online application form.

    The forms belong to the documents app, above this one; the catalogue reads them only through
    the reverse relation's name, so it never imports documents. A service with such a code can be
    done fully online (全程网办).
    """
    return services.annotate(
        online_apply_code=Case(
            When(document_type__is_active=True, then=F("document_type__code")),
            default=Value(""),
            output_field=CharField(),
        )
    )


# --- 一件事 bundles ----------------------------------------------------------------------------


def bundle_list_public() -> QuerySet[Bundle]:
    """Active bundles whose services are all active, with their parts in order."""
    return (
        Bundle.objects.filter(is_active=True)
        .exclude(parts__service__is_active=False)
        .prefetch_related(Prefetch(
            "parts", queryset=BundlePart.objects.select_related("service").order_by(
                "position", "id")))
        .order_by("position", "code")
    )


@dataclass
class BundleView:
    bundle: Bundle
    services: list["WithAnnotations[Service, OnlineApplication]"]
    online: list["WithAnnotations[Service, OnlineApplication]"]
    counter_minutes: int
    offices: list[Office]


def bundle_get_public(*, code: str) -> BundleView:
    """A bundle as the catalogue shows it: its services (each with its online form code, if
    any), the time all parts take at a counter, and the offices where it is booked as one
    visit."""
    bundle = bundle_list_public().get(code=code)
    ids = [part.service_id for part in bundle.parts.all()]
    by_id = {s.pk: s for s in service_with_online_application(
        Service.objects.filter(pk__in=ids)).select_related("category")}
    services = [by_id[i] for i in ids]
    minutes = sum(s.counter_minutes for s in services)
    return BundleView(
        bundle=bundle, services=services,
        online=[s for s in services if s.online_apply_code],
        counter_minutes=minutes,
        offices=_offices_taking(bundle, set(ids), minutes),
    )


def _offices_taking(bundle: Bundle, ids: set[int], minutes: int) -> list[Office]:
    """The active offices where the bundle is booked as one visit: they offer every part, an
    active counter serves them all, and an active schedule takes the bundle with slots long
    enough for every part. An office that only handles every part takes no such booking, so it
    is not offered. Schedules belong to appointments, above this app: they are read through
    the reverse relation's name (as service_with_online_application reads the forms);
    appointments.selectors._schedules_taking holds the same rule per schedule."""
    offices = Office.objects.filter(
        is_active=True,
        schedules__bundles=bundle,
        schedules__is_active=True,
        schedules__slot_minutes__gte=minutes,
    )
    for service_id in ids:
        offices = offices.filter(services=service_id)
    found = offices.distinct().select_related("district").order_by("code")
    return [office for office in found if counters_serving_all(office, ids)]


def bundle_parts(bundle: Bundle) -> list[Service]:
    """The bundle's services in order (its first part is the one a booking and a ticket name)."""
    links = BundlePart.objects.filter(bundle=bundle).select_related("service__category")
    return [part.service for part in links.order_by("position", "id")]


def offices_serving_all(office_ids: set[int], service_ids: set[int]) -> set[int]:
    """Of `office_ids`, the offices offering every one of `service_ids` (active) with an active
    counter that serves them all (counters_serving_all): three queries for any number of
    offices, where asking office by office cost four each (a bundle's pages ask for every
    office with one of its schedules, several times a page)."""
    if not service_ids:
        counters = Counter.objects.filter(office_id__in=office_ids, is_active=True)
        return set(counters.values_list("office_id", flat=True))
    offered: dict[int, set[int]] = {}
    for office_id, service_id in Office.services.through.objects.filter(
        office_id__in=office_ids, service_id__in=service_ids, service__is_active=True
    ).values_list("office_id", "service_id"):
        offered.setdefault(office_id, set()).add(service_id)
    offering = {office_id for office_id, got in offered.items() if service_ids <= got}
    one_window = set(
        Counter.objects.filter(office_id__in=offering, is_active=True, serves_all=True)
        .values_list("office_id", flat=True)
    )
    served: dict[tuple[int, int], set[int]] = {}
    for counter_id, office_id, service_id in Counter.services.through.objects.filter(
        counter__office_id__in=offering - one_window,
        counter__is_active=True,
        counter__serves_all=False,
        service_id__in=service_ids,
        service__is_active=True,
    ).values_list("counter_id", "counter__office_id", "service_id"):
        served.setdefault((office_id, counter_id), set()).add(service_id)
    return one_window | {office_id for (office_id, _), got in served.items() if service_ids <= got}


def counters_serving_all(office: Office, service_ids: set[int]) -> list[Counter]:
    """The office's active counters that serve every one of `service_ids` (one-window counters
    serve whatever the office offers)."""
    counters = (
        Counter.objects.filter(office=office, is_active=True)
        .select_related("office")
        .prefetch_related("services", "office__services")
    )
    return [c for c in counters if service_ids <= {s.pk for s in counter_services(c)}]
