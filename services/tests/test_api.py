"""The public catalogue API (/api/v1/) as a partner platform uses it."""

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache

from services.models import Channel, OfficeKind

from .factories import (
    CategoryFactory,
    CounterFactory,
    DistrictFactory,
    OfficeFactory,
    ServiceFactory,
)

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _fresh_throttle():
    # The anonymous rate limit counts in the cache; each test starts with a clean count.
    cache.clear()
    yield
    cache.clear()


def get(client, url, params=None, lang=None):
    headers = {"HTTP_ACCEPT_LANGUAGE": lang} if lang else {}
    response = client.get(url, params or {}, **headers)
    assert response["Content-Type"].startswith("application/json")
    return response


def codes(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["code"] for item in response.json()["results"]]


@pytest.fixture
def catalogue():
    exit_entry = CategoryFactory(code="crj", name_zh="出入境", name_en="Exit and entry")
    household = CategoryFactory(code="hz", name_zh="户籍", name_en="Household registration")
    passport = ServiceFactory(
        code="crj-passport", category=exit_entry, channel=Channel.BOTH,
        name_zh="普通护照签发", name_en="Ordinary passport",
        description_zh="首次申领护照。", description_en="First application for a passport.",
        materials=[
            {"name_zh": "居民身份证", "name_en": "Resident ID card", "position": 1, "copies": 1},
            {"name_zh": "户口簿", "name_en": "Household register", "position": 2,
             "is_optional": True, "original_required": False},
        ],
    )
    record = ServiceFactory(
        code="crj-entry-exit-record", category=exit_entry, channel=Channel.ONLINE,
        name_zh="出入境记录查询", name_en="Entry-exit record",
    )
    id_card = ServiceFactory(
        code="hz-id-card-renewal", category=household, channel=Channel.COUNTER,
        name_zh="居民身份证换领", name_en="ID card renewal",
    )
    retired = ServiceFactory(code="hz-old-booklet", category=household, is_active=False)
    east = DistrictFactory(code="east", name_zh="东区", name_en="East District")
    west = DistrictFactory(code="west", name_zh="西区", name_en="West District")
    station = OfficeFactory(
        code="east-station", district=east, kind=OfficeKind.STATION,
        name_zh="东区派出所", name_en="East Police Station", services=[id_card, retired],
    )
    hall = OfficeFactory(
        code="west-hall", district=west, kind=OfficeKind.HALL,
        name_zh="西区服务大厅", name_en="West Service Hall", services=[passport, id_card],
    )
    OfficeFactory(
        code="closed-hall", district=west, kind=OfficeKind.HALL, is_active=False,
        services=[passport, id_card],
    )
    return {"passport": passport, "record": record, "id_card": id_card, "retired": retired,
            "station": station, "hall": hall}


# --- services -----------------------------------------------------------------------------------


def test_service_list_is_paginated_with_code_and_name(client):
    ServiceFactory.create_batch(23, materials=0)
    first = get(client, "/api/v1/services/").json()
    assert first["count"] == 23
    assert first["previous"] is None
    assert "page=2" in first["next"]
    assert len(first["results"]) == 20
    assert all(item["code"] and item["name"] for item in first["results"])
    second = get(client, first["next"]).json()
    assert len(second["results"]) == 3
    assert second["next"] is None
    assert {i["code"] for i in first["results"]}.isdisjoint(i["code"] for i in second["results"])


def test_service_list_hides_inactive_services(client, catalogue):
    assert sorted(codes(get(client, "/api/v1/services/"))) == [
        "crj-entry-exit-record", "crj-passport", "hz-id-card-renewal",
    ]


@pytest.mark.parametrize("lang", [None, "zh-Hans", "zh-CN,zh;q=0.9"])
def test_names_are_chinese_by_default_and_for_chinese_clients(client, catalogue, lang):
    item = get(client, "/api/v1/services/crj-passport/", lang=lang).json()
    assert item["name"] == "普通护照签发"
    assert item["description"] == "首次申领护照。"
    assert item["category"]["name"] == "出入境"
    assert [m["name"] for m in item["materials"]] == ["居民身份证", "户口簿"]


@pytest.mark.parametrize("lang", ["en", "en-GB,en;q=0.9"])
def test_names_are_english_for_english_clients(client, catalogue, lang):
    item = get(client, "/api/v1/services/crj-passport/", lang=lang).json()
    assert item["name"] == "Ordinary passport"
    assert item["description"] == "First application for a passport."
    assert item["category"]["name"] == "Exit and entry"
    assert [m["name"] for m in item["materials"]] == ["Resident ID card", "Household register"]


def test_list_names_follow_the_language_too(client, catalogue):
    en = {i["code"]: i["name"] for i in get(client, "/api/v1/services/", lang="en").json()[
        "results"]}
    zh = {i["code"]: i["name"] for i in get(client, "/api/v1/services/").json()["results"]}
    assert en["hz-id-card-renewal"] == "ID card renewal"
    assert zh["hz-id-card-renewal"] == "居民身份证换领"


@pytest.mark.parametrize("text", ["护照", "passport", "PASSPORT", "ordinary passport"])
def test_service_search_in_either_language(client, catalogue, text):
    assert codes(get(client, "/api/v1/services/", {"q": text})) == ["crj-passport"]


def test_service_filter_by_category(client, catalogue):
    assert codes(get(client, "/api/v1/services/", {"category": "hz"})) == ["hz-id-card-renewal"]


@pytest.mark.parametrize(
    ("channel", "expected"),
    [
        ("counter", {"crj-passport", "hz-id-card-renewal"}),
        ("online", {"crj-passport", "crj-entry-exit-record"}),
        ("both", {"crj-passport"}),
    ],
)
def test_service_filter_by_channel_like_the_pages(client, catalogue, channel, expected):
    assert set(codes(get(client, "/api/v1/services/", {"channel": channel}))) == expected


def test_service_filters_combine(client, catalogue):
    assert codes(get(client, "/api/v1/services/", {"q": "record", "channel": "counter"})) == []
    # 出入境 is in the record query's name and only in the passport's category: name first.
    assert codes(get(client, "/api/v1/services/", {"q": "出入境", "channel": "online"})) == [
        "crj-entry-exit-record", "crj-passport",
    ]


def test_unknown_category_is_a_bad_request_naming_the_parameter(client, catalogue):
    response = get(client, "/api/v1/services/", {"category": "no-such-category"})
    assert response.status_code == 400
    assert "category" in response.json()


def test_service_detail_by_code_with_materials_and_offices(client, catalogue):
    item = get(client, "/api/v1/services/crj-passport/", lang="en").json()
    assert item["code"] == "crj-passport"
    assert item["channel"] == "both"
    assert item["category"]["code"] == "crj"
    assert item["materials"] == [
        {"name": "Resident ID card", "note": "", "original_required": True, "copies": 1,
         "is_optional": False},
        {"name": "Household register", "note": "", "original_required": False, "copies": 0,
         "is_optional": True},
    ]
    assert item["offices"] == ["west-hall"]  # not the inactive hall


@pytest.mark.parametrize("code", ["no-such-service", "hz-old-booklet"])
def test_unknown_or_inactive_service_is_not_found(client, catalogue, code):
    assert get(client, f"/api/v1/services/{code}/").status_code == 404


# --- offices ------------------------------------------------------------------------------------


def test_office_list_is_paginated_with_code_and_name(client, catalogue):
    body = get(client, "/api/v1/offices/").json()
    assert body["count"] == 2
    assert body["next"] is None
    assert [(o["code"], o["name"]) for o in body["results"]] == [
        ("east-station", "东区派出所"), ("west-hall", "西区服务大厅"),
    ]


def test_office_list_pages_past_twenty_offices(client):
    OfficeFactory.create_batch(21, hours=False)
    first = get(client, "/api/v1/offices/").json()
    assert first["count"] == 21
    assert len(first["results"]) == 20
    assert len(get(client, first["next"]).json()["results"]) == 1


def test_office_names_follow_the_language(client, catalogue):
    en = get(client, "/api/v1/offices/west-hall/", lang="en").json()
    zh = get(client, "/api/v1/offices/west-hall/", lang="zh-Hans").json()
    assert (en["name"], en["district"]["name"]) == ("West Service Hall", "West District")
    assert (zh["name"], zh["district"]["name"]) == ("西区服务大厅", "西区")


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"district": "east"}, ["east-station"]),
        ({"district": "west"}, ["west-hall"]),
        ({"service": "crj-passport"}, ["west-hall"]),
        ({"service": "hz-id-card-renewal"}, ["east-station", "west-hall"]),
        ({"kind": "hall"}, ["west-hall"]),
        ({"kind": "station"}, ["east-station"]),
        ({"q": "派出所"}, ["east-station"]),
        ({"q": "service hall"}, ["west-hall"]),
        ({"district": "east", "service": "crj-passport"}, []),
    ],
)
def test_office_filters_work_like_the_pages(client, catalogue, params, expected):
    assert codes(get(client, "/api/v1/offices/", params)) == expected


def test_office_detail_has_hours_services_and_counters(client, catalogue):
    hall = catalogue["hall"]
    CounterFactory(office=hall, number=1, serves_all=True, name_en="Reception")
    CounterFactory(office=hall, number=2, services=[catalogue["passport"]], name_en="Passports")
    item = get(client, "/api/v1/offices/west-hall/", lang="en").json()
    assert item["code"] == "west-hall"
    assert item["kind"] == "hall"
    assert item["hours"][:2] == [
        {"weekday": 0, "opens": "09:00:00", "closes": "12:00:00"},
        {"weekday": 0, "opens": "13:30:00", "closes": "17:30:00"},
    ]
    assert {h["weekday"] for h in item["hours"]} == {0, 1, 2, 3, 4}
    assert sorted(item["services"]) == ["crj-passport", "hz-id-card-renewal"]
    assert item["counters"] == [
        {"number": 1, "name": "Reception", "serves_all": True,
         "services": ["crj-passport", "hz-id-card-renewal"]},
        {"number": 2, "name": "Passports", "serves_all": False, "services": ["crj-passport"]},
    ]
    assert isinstance(item["is_open_now"], bool)


def test_office_services_leave_out_inactive_services(client, catalogue):
    item = get(client, "/api/v1/offices/east-station/").json()
    assert item["services"] == ["hz-id-card-renewal"]


def test_office_counters_leave_out_inactive_counters_like_the_page(client, catalogue):
    CounterFactory(office=catalogue["hall"], number=1, serves_all=True)
    CounterFactory(office=catalogue["hall"], number=9, is_active=False)
    item = get(client, "/api/v1/offices/west-hall/").json()
    assert [c["number"] for c in item["counters"]] == [1]


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        (dt.datetime(2025, 6, 2, 10, 0), True),  # Monday morning
        (dt.datetime(2025, 6, 2, 12, 30), False),  # Monday lunch
        (dt.datetime(2025, 6, 4, 16, 0), True),  # Wednesday afternoon
        (dt.datetime(2025, 6, 8, 10, 0), False),  # Sunday
    ],
)
def test_is_open_now_follows_the_opening_hours(client, catalogue, moment, is_open):
    with time_machine.travel(moment.replace(tzinfo=SHANGHAI), tick=False):
        listed = get(client, "/api/v1/offices/").json()["results"]
        detail = get(client, "/api/v1/offices/west-hall/").json()
    assert {o["code"]: o["is_open_now"] for o in listed} == {
        "east-station": is_open, "west-hall": is_open,
    }
    assert detail["is_open_now"] is is_open


@pytest.mark.parametrize("code", ["no-such-office", "closed-hall"])
def test_unknown_or_inactive_office_is_not_found(client, catalogue, code):
    assert get(client, f"/api/v1/offices/{code}/").status_code == 404


# --- schema and docs ----------------------------------------------------------------------------


def test_schema_describes_both_endpoints(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    for path in ("/api/v1/services/", "/api/v1/services/{code}/",
                 "/api/v1/offices/", "/api/v1/offices/{code}/"):
        assert path in schema["paths"], path
    parameters = {p["name"] for p in schema["paths"]["/api/v1/services/"]["get"]["parameters"]}
    assert {"q", "category", "channel", "page", "Accept-Language"} <= parameters


def test_schema_is_yaml_by_default(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.startswith("openapi:")
    assert "/api/v1/services/:" in body
    assert "/api/v1/offices/:" in body


def test_docs_page_loads_without_any_cdn(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "cdn.jsdelivr" not in body
    assert "unpkg" not in body
    assert "swagger-ui-bundle.js" in body
    # The page's own script is a separate file (the CSP allows no inline script).
    script = client.get("/api/docs/", {"script": ""}).content.decode()
    assert "/api/schema/" in script
