"""The 一件事 API: bundles and their parts in the catalogue, the bundle's one-visit slots, and
booking one visit, validated by the pages' action."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.actions import api_client_create
from appointments.models import Booking
from appointments.tests.factories import SlotFactory, bundle_visit
from core.tests.factories import id_number

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2025, 6, 4, 10, 0, tzinfo=SHANGHAI)  # a Wednesday

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api() -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_client_create(name='partner')[1]}")
    return client


def person(n: int = 1, **changed) -> dict:
    return {"name": "张三", "id_number": id_number(n), "phone": "13800138000", **changed}


def test_bundles_are_listed_with_their_parts_in_order(api):
    bundle, parts, slot = bundle_visit(minutes=(20, 10, 10))

    listed = api.get("/api/v1/bundles/").json()
    detail = api.get(f"/api/v1/bundles/{bundle.code}/").json()

    assert [b["code"] for b in listed["results"]] == [bundle.code]
    assert [p["code"] for p in detail["parts"]] == [p.code for p in parts]
    assert detail["counter_minutes"] == 40 and slot.office.code in detail["offices"]
    assert api.get("/api/v1/bundles/nothing/").status_code == 404


def test_the_bundle_list_is_paginated_like_the_other_lists(api):
    from services.models import Bundle, BundlePart
    from services.tests.factories import ServiceFactory

    service = ServiceFactory(materials=0)
    for n in range(23):
        bundle = Bundle.objects.create(code=f"b{n:02d}", name_zh=f"一件事{n}", name_en=f"B{n}")
        BundlePart.objects.create(bundle=bundle, service=service, position=0)

    first = api.get("/api/v1/bundles/").json()
    second = api.get(first["next"]).json()

    assert (first["count"], len(first["results"]), first["previous"]) == (23, 20, None)
    assert (len(second["results"]), second["next"]) == (3, None)
    listed = [b["code"] for b in first["results"] + second["results"]]
    assert listed == [f"b{n:02d}" for n in range(23)]
    assert api.get("/api/v1/bundles/", {"page": 9}).status_code == 404


def test_one_visit_is_booked_through_the_api(api):
    bundle, parts, slot = bundle_visit()
    day = slot.start.astimezone(SHANGHAI).date().isoformat()

    slots = api.get(f"/api/v1/bundles/{bundle.code}/slots/",
                    {"office": slot.office.code, "date": day}).json()
    made = api.post(f"/api/v1/bundles/{bundle.code}/bookings/",
                    {"slot": slot.pk, **person()}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    again = api.post(f"/api/v1/bundles/{bundle.code}/bookings/",
                     {"slot": slot.pk, **person()}, format="json", HTTP_IDEMPOTENCY_KEY="k1")

    assert [s["id"] for s in slots] == [slot.pk] and slots[0]["bookable"]
    assert made.status_code == 201, made.json()
    answer = made.json()
    assert answer["bundle"]["parts"] == [p.code for p in parts]
    assert again.json() == answer and Booking.objects.count() == 1
    assert Booking.objects.get().bundle == bundle


def test_the_api_refuses_what_the_pages_refuse(api):
    bundle, parts, slot = bundle_visit(minutes=(20, 10, 10), slot_minutes=30)
    ordinary = SlotFactory(schedule__office=slot.office, schedule__services=[parts[0]])
    url = f"/api/v1/bundles/{bundle.code}/bookings/"

    short = api.post(url, {"slot": slot.pk, **person()}, format="json",
                     HTTP_ACCEPT_LANGUAGE="zh-hans")
    elsewhere = api.post(url, {"slot": ordinary.pk, **person()}, format="json")
    unknown = api.post(url, {"slot": 999999, **person()}, format="json")
    anonymous = APIClient().post(url, {"slot": slot.pk, **person()}, format="json")
    no_office = api.get(f"/api/v1/bundles/{bundle.code}/slots/",
                        {"office": ordinary.office.code, "date": "2025-06-05"})

    assert (short.status_code, short.json()["error"]) == (409, "bundle_slot_too_short")
    assert "40" in short.json()["detail"] and "分钟" in short.json()["detail"]
    assert (elsewhere.status_code, elsewhere.json()["error"]) == (409, "bundle_not_served")
    assert unknown.status_code == 400 and "slot" in unknown.json()
    assert anonymous.status_code == 401
    assert no_office.status_code == 400 and "office" in no_office.json()
    assert not Booking.objects.exists()


def test_the_schema_documents_the_bundle_endpoints(client):
    schema = client.get("/api/schema/").content.decode()

    for path in ("/api/v1/bundles/", "/api/v1/bundles/{code}/slots/",
                 "/api/v1/bundles/{code}/bookings/", "/api/v1/bundles/{code}/applications/"):
        assert f"{path}:" in schema
    # The list answers a page (count, next, previous, results), as every list of the API.
    listing = schema.split("/api/v1/bundles/:", 1)[1].split("\n  /", 1)[0]
    assert "#/components/schemas/PaginatedBundleList" in listing
