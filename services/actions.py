"""Writes to the catalogue: categories, services and their materials, districts, offices with
their hours and counters. Pages, the API and the admin read through `selectors`.

The upserts are keyed on stable codes and write only what differs, so loading the same data
twice issues no INSERT, UPDATE or DELETE the second time. They leave `is_active` alone (that
switch belongs to the admin) and never delete counters, which queue history will point to.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from django.db import models, transaction

from accounts.actions import (
    audit_changed,
    audit_created,
    audit_deleted,
    audit_related,
    audit_values,
    audited,
)

from .models import Bundle, BundlePart, Category, Counter, District, Office, Service

ModelT = TypeVar("ModelT", bound=models.Model)
Data = Mapping[str, Any]

CATEGORY_FIELDS = (
    "ticket_letter",
    "name_zh",
    "name_en",
    "description_zh",
    "description_en",
    "position",
)
SERVICE_FIELDS = (
    "name_zh",
    "name_en",
    "description_zh",
    "description_en",
    "channel",
    "time_limit_days",
    "counter_minutes",
)
MATERIAL_FIELDS = (
    "name_zh",
    "name_en",
    "note_zh",
    "note_en",
    "original_required",
    "copies",
    "is_optional",
)
DISTRICT_FIELDS = ("name_zh", "name_en", "position")
OFFICE_FIELDS = (
    "kind",
    "name_zh",
    "name_en",
    "address_zh",
    "address_en",
    "phone",
    "transit_zh",
    "transit_en",
)
COUNTER_FIELDS = ("name_zh", "name_en", "serves_all")


def _pick(data: Data, fields: Iterable[str]) -> dict[str, Any]:
    return {name: data.get(name, "") for name in fields}


def _upsert(model: type[ModelT], *, lookup: Data, values: Data) -> ModelT:
    """Like update_or_create, but saves only the fields whose value differs (or nothing)."""
    obj = model._default_manager.filter(**lookup).first()
    if obj is None:
        obj = model._default_manager.create(**lookup, **values)
        if audited(model):  # categories and districts are not
            audit_created(obj)
        return obj
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        before = audit_values(obj) if audited(model) else None
        for name in changed:
            setattr(obj, name, values[name])
        obj.save(update_fields=changed)
        if before is not None:
            audit_changed(obj, before)
    return obj


def _replace_if_different(related: models.Manager, rows: list[dict], order: Sequence[str]) -> bool:
    """Make a reverse foreign-key set equal to `rows`; touch nothing when it already is."""
    fields = list(rows[0]) if rows else ["pk"]
    if list(related.order_by(*order).values(*fields)) == rows:
        return False
    tracked = audited(related.model)  # opening hours are; materials and search terms are not
    for old in related.all() if tracked else ():
        audit_deleted(old)
    related.all().delete()
    for row in rows:
        new = related.create(**row)
        if tracked:
            audit_created(new)
    return True


def _pk(obj: models.Model) -> Any:
    return obj.pk


def _decimal(value: Any) -> Decimal:
    return Decimal(str(value))


def category_upsert(*, data: Data) -> Category:
    return _upsert(Category, lookup={"code": data["code"]}, values=_pick(data, CATEGORY_FIELDS))


def district_upsert(*, data: Data) -> District:
    return _upsert(District, lookup={"code": data["code"]}, values=_pick(data, DISTRICT_FIELDS))


def service_materials_set(*, service: Service, materials: Sequence[Data]) -> bool:
    """Replace the checklist when it differs from `materials`, in that order."""
    rows = [
        _pick(item, MATERIAL_FIELDS) | {"position": index}
        for index, item in enumerate(materials, start=1)
    ]
    return _replace_if_different(service.materials, rows, order=("position", "id"))


def service_upsert(*, data: Data, category: Category, position: int) -> Service:
    values = _pick(data, SERVICE_FIELDS) | {
        "category_id": category.pk,
        "fee": _decimal(data["fee"]),
        "position": position,
    }
    service = _upsert(Service, lookup={"code": data["code"]}, values=values)
    service_materials_set(service=service, materials=data["materials"])
    return service


def service_aliases_set(*, service: Service, terms: Sequence[str]) -> bool:
    """Replace the search terms residents use for `service` (blank and repeated ones dropped)."""
    cleaned = list(dict.fromkeys(term.strip() for term in terms if term.strip()))
    rows = [{"term": term, "position": index} for index, term in enumerate(cleaned, start=1)]
    return _replace_if_different(service.aliases, rows, order=("position", "id"))


def office_hours_set(*, office: Office, hours: Iterable[tuple[int, str, str]]) -> bool:
    """Replace the weekly hours, given as (weekday, "HH:MM", "HH:MM"), when they differ."""
    rows = [
        {
            "weekday": day,
            "opens": dt.time.fromisoformat(opens),
            "closes": dt.time.fromisoformat(closes),
        }
        for day, opens, closes in sorted(hours)
    ]
    return _replace_if_different(office.hours, rows, order=("weekday", "opens"))


def counter_upsert(*, office: Office, data: Data, services: Mapping[str, Service]) -> Counter:
    """One counter, keyed by (office, number). A one-window counter keeps no service list."""
    counter = _upsert(
        Counter,
        lookup={"office": office, "number": data["number"]},
        values=_pick(data, COUNTER_FIELDS),
    )
    codes = [] if data["serves_all"] else data["services"]
    offered = set(office.services.values_list("code", flat=True))
    if not set(codes) <= offered:
        raise ValueError(
            f"Counter {office.code}/{data['number']} serves services the office "
            f"does not offer: {sorted(set(codes) - offered)}"
        )
    counter.services.set([services[code] for code in codes])
    return counter


def office_upsert(*, data: Data, district: District, services: Mapping[str, Service]) -> Office:
    values = _pick(data, OFFICE_FIELDS) | {
        "district_id": district.pk,
        "latitude": _decimal(data["latitude"]),
        "longitude": _decimal(data["longitude"]),
    }
    office = _upsert(Office, lookup={"code": data["code"]}, values=values)
    before, wanted = set(office.services.all()), {services[code] for code in data["services"]}
    office.services.set(wanted)
    audit_related(office, "services", added=sorted(wanted - before, key=_pk),
                  removed=sorted(before - wanted, key=_pk))  # fmt: skip
    office_hours_set(office=office, hours=data["hours"])
    for counter in data["counters"]:
        counter_upsert(office=office, data=counter, services=services)
    return office


@transaction.atomic
def catalogue_load(*, data: Data) -> dict[str, int]:
    """Load a whole catalogue (see services/demo_data.py for the shape); return the counts."""
    categories = {item["code"]: category_upsert(data=item) for item in data["categories"]}
    positions: defaultdict[str, int] = defaultdict(int)
    services: dict[str, Service] = {}
    for item in data["services"]:
        positions[item["category"]] += 1
        services[item["code"]] = service_upsert(
            data=item, category=categories[item["category"]], position=positions[item["category"]]
        )
    for code, terms in data.get("aliases", {}).items():
        service_aliases_set(service=services[code], terms=terms)
    districts = {item["code"]: district_upsert(data=item) for item in data["districts"]}
    for item in data["offices"]:
        office_upsert(data=item, district=districts[item["district"]], services=services)
    offices = data["offices"]
    return {
        "categories": len(categories),
        "services": len(services),
        "materials": sum(len(item["materials"]) for item in data["services"]),
        "search_terms": sum(len(terms) for terms in data.get("aliases", {}).values()),
        "districts": len(districts),
        "offices": len(offices),
        "opening_hours": sum(len(item["hours"]) for item in offices),
        "counters": sum(len(item["counters"]) for item in offices),
    }


@transaction.atomic
def bundle_ensure(*, data: Data, position: int = 0) -> Bundle | None:
    """A 一件事 bundle with its parts in order, made once (a bundle an office manager has since
    edited in the admin is left as it is). None when one of its services is missing."""
    codes = list(data["services"])
    services = {s.code: s for s in Service.objects.filter(code__in=codes)}
    if len(services) != len(codes):
        return None
    bundle = Bundle.objects.filter(code=data["code"]).first()
    if bundle is not None:
        return bundle
    bundle = Bundle.objects.create(
        position=position, **_pick(data, ("code", "name_zh", "name_en", "description_zh",
                                           "description_en")))
    BundlePart.objects.bulk_create(
        BundlePart(bundle=bundle, service=services[code], position=i)
        for i, code in enumerate(codes, 1))
    return bundle
