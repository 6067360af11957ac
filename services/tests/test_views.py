"""The public catalogue pages, in Chinese and English, as a resident sees them."""

import datetime as dt
import re
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
import time_machine

from services.models import Channel, OfficeKind

from .factories import (
    CategoryFactory,
    CounterFactory,
    DistrictFactory,
    OfficeFactory,
    OpeningHoursFactory,
    ServiceFactory,
)

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
LANGS = ["zh-hans", "en"]


class Page(HTMLParser):
    """Just enough of an HTML page: every start tag with its attributes, in order."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str], bool]] = []  # (tag, attrs, inside a <label>)
        self._labels_open = 0
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: v or "" for k, v in attrs}, self._labels_open > 0))
        if tag == "label":
            self._labels_open += 1

    def handle_endtag(self, tag):
        if tag == "label" and self._labels_open:
            self._labels_open -= 1

    def find(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [
            a for t, a, _ in self.tags
            if t == tag and all(a.get(k.rstrip("_")) == v for k, v in attrs.items())
        ]

    def unlabelled_controls(self) -> list[str]:
        label_for = {a.get("for") for t, a, _ in self.tags if t == "label"}
        missing = []
        for tag, attrs, inside_label in self.tags:
            if tag not in ("input", "select", "textarea"):
                continue
            if attrs.get("type") in ("hidden", "submit", "button", "reset", "image"):
                continue
            if inside_label or attrs.get("aria-label") or attrs.get("aria-labelledby"):
                continue
            if not attrs.get("id") or attrs["id"] not in label_for:
                missing.append(f"<{tag} name={attrs.get('name')!r} id={attrs.get('id')!r}>")
        return missing


def html(response) -> str:
    return response.content.decode()


def results(response) -> str:
    """The results section of a list page (the part htmx swaps)."""
    match = re.search(r'<section id="results".*?</section>', html(response), re.S)
    assert match, "the page has no results section"
    return match.group(0)


def listed_services(response, lang: str) -> list[str]:
    return re.findall(rf'href="/{lang}/services/([\w-]+)/"', results(response))


def listed_offices(response, lang: str) -> list[str]:
    return re.findall(rf'href="/{lang}/offices/([\w-]+)/"', results(response))


# --- data ---------------------------------------------------------------------------------------


@pytest.fixture
def catalogue():
    exit_entry = CategoryFactory(code="crj", name_zh="出入境", name_en="Exit and entry")
    household = CategoryFactory(code="hz", name_zh="户籍", name_en="Household registration")
    passport = ServiceFactory(
        code="crj-passport", category=exit_entry, channel=Channel.BOTH,
        name_zh="普通护照签发", name_en="Ordinary passport",
        materials=[
            {"name_zh": "居民身份证", "name_en": "Resident ID card", "position": 1},
            {"name_zh": "近期免冠照片", "name_en": "Recent photo", "position": 2},
            {"name_zh": "户口簿", "name_en": "Household register", "position": 3,
             "is_optional": True, "note_zh": "未成年人需提供", "note_en": "Minors only"},
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
    retired = ServiceFactory(
        code="hz-old-booklet", category=household, is_active=False,
        name_zh="旧版户口簿换发", name_en="Old booklet exchange",
    )
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
    closed = OfficeFactory(
        code="closed-hall", district=west, kind=OfficeKind.HALL, is_active=False,
        name_zh="已撤销大厅", name_en="Closed Hall", services=[passport, id_card],
    )
    return {
        "passport": passport, "record": record, "id_card": id_card, "retired": retired,
        "station": station, "hall": hall, "closed": closed,
    }


# --- service list -------------------------------------------------------------------------------


def test_catalogue_lists_active_services_with_chinese_names_on_the_chinese_page(client, catalogue):
    response = client.get("/zh-hans/services/")
    assert response.status_code == 200
    section = results(response)
    for name in ("普通护照签发", "出入境记录查询", "居民身份证换领"):
        assert name in section
    assert "Ordinary passport" not in section
    assert "旧版户口簿换发" not in section
    assert sorted(listed_services(response, "zh-hans")) == [
        "crj-entry-exit-record", "crj-passport", "hz-id-card-renewal",
    ]


def test_catalogue_lists_english_names_on_the_english_page(client, catalogue):
    response = client.get("/en/services/")
    section = results(response)
    for name in ("Ordinary passport", "Entry-exit record", "ID card renewal", "Exit and entry"):
        assert name in section
    assert "普通护照签发" not in section
    assert "Old booklet exchange" not in section


def test_english_page_falls_back_to_chinese_when_there_is_no_english_name(client):
    ServiceFactory(code="untranslated", name_zh="临时事项", name_en="")
    assert "临时事项" in results(client.get("/en/services/"))


@pytest.mark.parametrize("lang", LANGS)
def test_catalogue_filters_by_category(client, catalogue, lang):
    response = client.get(f"/{lang}/services/", {"category": "hz"})
    assert listed_services(response, lang) == ["hz-id-card-renewal"]


@pytest.mark.parametrize(
    ("channel", "expected"),
    [
        ("counter", {"crj-passport", "hz-id-card-renewal"}),
        ("online", {"crj-passport", "crj-entry-exit-record"}),
        ("both", {"crj-passport"}),
    ],
)
def test_catalogue_filters_by_channel(client, catalogue, channel, expected):
    response = client.get("/zh-hans/services/", {"channel": channel})
    assert set(listed_services(response, "zh-hans")) == expected


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("text", ["护照", "passport", "Passport"])
def test_catalogue_search_in_either_language_on_either_page(client, catalogue, lang, text):
    response = client.get(f"/{lang}/services/", {"q": text})
    assert listed_services(response, lang) == ["crj-passport"]


def test_searching_an_english_word_on_the_chinese_page_shows_the_chinese_name(client, catalogue):
    section = results(client.get("/zh-hans/services/", {"q": "renewal"}))
    assert "居民身份证换领" in section
    assert "普通护照签发" not in section


def test_catalogue_combines_search_and_filters(client, catalogue):
    response = client.get("/en/services/", {"q": "card", "category": "crj"})
    assert listed_services(response, "en") == []
    response = client.get("/en/services/", {"q": "record", "channel": "online"})
    assert listed_services(response, "en") == ["crj-entry-exit-record"]


def test_catalogue_search_without_match_says_so_and_offers_to_show_all(client, catalogue):
    response = client.get("/en/services/", {"q": "spaceship"})
    assert listed_services(response, "en") == []
    assert 'href="/en/services/"' in results(response)


@pytest.fixture
def many_services():
    category = CategoryFactory(code="many")
    return ServiceFactory.create_batch(14, category=category, materials=0)


def test_catalogue_is_paginated(client, many_services):
    first = client.get("/en/services/")
    second = client.get("/en/services/", {"page": 2})
    codes = [s.code for s in many_services]
    assert listed_services(first, "en") == codes[:12]
    assert listed_services(second, "en") == codes[12:]
    assert re.search(r'id="results-count"[^>]*>\s*14 services found', html(first))


def test_pagination_links_keep_the_filters(client, many_services):
    response = client.get("/en/services/", {"category": "many"})
    links = [a["href"] for a in Page(html(response)).find("a") if "page=2" in a.get("href", "")]
    assert links, "no link to page 2"
    assert all("category=many" in link for link in links)
    page_two = client.get("/en/services/" + links[0])
    assert listed_services(page_two, "en") == [s.code for s in many_services[12:]]


def test_htmx_request_gets_only_the_results(client, catalogue):
    response = client.get("/zh-hans/services/", {"q": "护照"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = html(response)
    assert "<html" not in body
    assert "<form" not in body
    assert body.strip().startswith('<section id="results"')
    assert listed_services(response, "zh-hans") == ["crj-passport"]


def test_htmx_office_list_gets_only_the_results(client, catalogue):
    response = client.get("/en/offices/", {"district": "east"}, HTTP_HX_REQUEST="true")
    assert "<html" not in html(response)
    assert listed_offices(response, "en") == ["east-station"]


# --- service detail -----------------------------------------------------------------------------


def test_service_detail_lists_every_material_in_chinese(client, catalogue):
    response = client.get("/zh-hans/services/crj-passport/")
    body = html(response)
    assert response.status_code == 200
    assert "<h1>普通护照签发</h1>" in body
    positions = [body.index(name) for name in ("居民身份证", "近期免冠照片", "户口簿")]
    assert positions == sorted(positions)
    assert "未成年人需提供" in body


def test_service_detail_lists_every_material_in_english(client, catalogue):
    body = html(client.get("/en/services/crj-passport/"))
    assert "<h1>Ordinary passport</h1>" in body
    for name in ("Resident ID card", "Recent photo", "Household register", "Minors only"):
        assert name in body


@pytest.mark.parametrize("lang", LANGS)
def test_service_detail_links_to_each_active_office_offering_it(client, catalogue, lang):
    page = Page(html(client.get(f"/{lang}/services/hz-id-card-renewal/")))
    hrefs = {a.get("href") for a in page.find("a")}
    assert f"/{lang}/offices/east-station/" in hrefs
    assert f"/{lang}/offices/west-hall/" in hrefs
    assert f"/{lang}/offices/closed-hall/" not in hrefs


def test_service_detail_does_not_name_an_inactive_office(client, catalogue):
    body = html(client.get("/en/services/crj-passport/"))
    assert "West Service Hall" in body
    assert "Closed Hall" not in body


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("code", ["no-such-service", "hz-old-booklet"])
def test_unknown_or_inactive_service_is_not_found(client, catalogue, lang, code):
    assert client.get(f"/{lang}/services/{code}/").status_code == 404


# --- office list and detail ---------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_office_list_shows_active_offices_only(client, catalogue, lang):
    response = client.get(f"/{lang}/offices/")
    assert listed_offices(response, lang) == ["east-station", "west-hall"]


def test_office_list_shows_localized_names(client, catalogue):
    assert "东区派出所" in results(client.get("/zh-hans/offices/"))
    section = results(client.get("/en/offices/"))
    assert "East Police Station" in section
    assert "东区派出所" not in section


def test_office_list_filters_by_district(client, catalogue):
    assert listed_offices(client.get("/en/offices/", {"district": "west"}), "en") == ["west-hall"]


def test_office_list_filters_by_service(client, catalogue):
    response = client.get("/en/offices/", {"service": "crj-passport"})
    assert listed_offices(response, "en") == ["west-hall"]
    response = client.get("/en/offices/", {"service": "hz-id-card-renewal"})
    assert listed_offices(response, "en") == ["east-station", "west-hall"]


def test_office_list_filters_by_kind_and_name(client, catalogue):
    assert listed_offices(client.get("/en/offices/", {"kind": "hall"}), "en") == ["west-hall"]
    assert listed_offices(client.get("/zh-hans/offices/", {"q": "派出所"}), "zh-hans") == [
        "east-station"
    ]


def test_service_detail_links_to_the_office_list_filtered_by_that_service(client, catalogue):
    page = Page(html(client.get("/en/services/crj-passport/")))
    link = next(a["href"] for a in page.find("a") if "service=crj-passport" in a.get("href", ""))
    assert listed_offices(client.get(link), "en") == ["west-hall"]


@pytest.fixture
def office_page_data(catalogue):
    hall = catalogue["hall"]
    OpeningHoursFactory(office=hall, weekday=5, opens=dt.time(9, 0), closes=dt.time(12, 0))
    CounterFactory(office=hall, number=1, serves_all=True, name_en="Reception", name_zh="综合")
    CounterFactory(office=hall, number=2, services=[catalogue["passport"]],
                   name_en="Passports", name_zh="护照")
    CounterFactory(office=hall, number=9, is_active=False, name_en="Broken", name_zh="停用")
    return hall


def hours_rows(body: str) -> list[str]:
    table = re.search(r'<table class="hours">.*?</table>', body, re.S).group(0)
    tbody = re.search(r"<tbody>(.*?)</tbody>", table, re.S).group(1)
    rows = re.findall(r"<tr.*?</tr>", tbody, re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in rows]


def test_office_detail_shows_a_week_of_hours_with_closed_days(client, office_page_data):
    rows = hours_rows(html(client.get("/en/offices/west-hall/")))
    assert len(rows) == 7
    assert rows[0].startswith("Monday")
    assert "09:00–12:00, 13:30–17:30" in rows[0]
    assert "09:00–12:00" in rows[5] and "13:30" not in rows[5]  # Saturday morning only
    assert rows[6].startswith("Sunday") and "Closed" in rows[6]
    assert not any("Closed" in row for row in rows[:6])


def test_office_detail_in_chinese_shows_seven_days_too(client, office_page_data):
    rows = hours_rows(html(client.get("/zh-hans/offices/west-hall/")))
    assert len(rows) == 7
    assert "09:00–12:00, 13:30–17:30" in rows[0]
    assert ":" not in rows[6]  # Sunday: no hours
    assert "Closed" not in "".join(rows)  # said in Chinese


def test_office_detail_marks_today(client, office_page_data):
    with time_machine.travel(dt.datetime(2025, 6, 4, 10, 0, tzinfo=SHANGHAI), tick=False):
        body = html(client.get("/en/offices/west-hall/"))
    rows = re.findall(r"<tr[^>]*>", re.search(r"<tbody>(.*?)</tbody>", body, re.S).group(1))
    assert ['aria-current="date"' in row for row in rows] == [
        False, False, True, False, False, False, False,
    ]


def test_office_detail_lists_active_counters_with_what_they_serve(client, office_page_data):
    body = html(client.get("/en/offices/west-hall/"))
    counters = re.search(r'aria-labelledby="counters-title".*?</section>', body, re.S).group(0)
    assert "Window 1" in counters and "Reception" in counters
    assert "Window 2" in counters and "Passports" in counters
    assert "Ordinary passport" in counters
    assert "Window 9" not in counters and "Broken" not in counters


def test_office_detail_groups_services_by_category(client, office_page_data):
    body = html(client.get("/en/offices/west-hall/"))
    section = re.search(r'aria-labelledby="services-title".*?</section>', body, re.S).group(0)
    found = re.findall(r"Exit and entry|Household registration|Ordinary passport|ID card renewal",
                       section)
    assert found == ["Exit and entry", "Ordinary passport", "Household registration",
                     "ID card renewal"]
    assert 'href="/en/services/crj-passport/"' in section


def test_office_detail_hides_inactive_services(client, catalogue):
    body = html(client.get("/zh-hans/offices/east-station/"))
    assert "居民身份证换领" in body
    assert "旧版户口簿换发" not in body


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("code", ["no-such-office", "closed-hall"])
def test_unknown_or_inactive_office_is_not_found(client, catalogue, lang, code):
    assert client.get(f"/{lang}/offices/{code}/").status_code == 404


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (dt.datetime(2025, 6, 2, 10, 0), "Open now, until 12:00"),
        (dt.datetime(2025, 6, 2, 12, 30), "Closed now · opens Mon 13:30"),
        (dt.datetime(2025, 6, 8, 10, 0), "Closed now · opens Mon 09:00"),
    ],
)
def test_office_pages_tell_whether_the_office_is_open(client, catalogue, moment, text):
    with time_machine.travel(moment.replace(tzinfo=SHANGHAI), tick=False):
        detail = html(client.get("/en/offices/west-hall/"))
        listing = results(client.get("/en/offices/"))
    assert text in detail
    assert text in listing


# --- every page ---------------------------------------------------------------------------------

PAGES = ["", "services/", "services/crj-passport/", "offices/", "offices/west-hall/"]


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize(("lang", "html_lang"), [("zh-hans", "zh-Hans"), ("en", "en")])
def test_every_page_is_accessible_in_both_languages(client, catalogue, path, lang, html_lang):
    response = client.get(f"/{lang}/{path}")
    assert response.status_code == 200
    page = Page(html(response))
    assert page.find("html")[0].get("lang") == html_lang
    assert len(page.find("main", id="main")) == 1
    skip_links = page.find("a", href="#main")
    assert skip_links, "no skip link to the main content"
    first_link = next(attrs for tag, attrs, _ in page.tags if tag == "a")
    assert first_link.get("href") == "#main", "the skip link must be the first link"
    assert page.unlabelled_controls() == []


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize(("lang", "other"), [("zh-hans", "en"), ("en", "zh-hans")])
def test_language_switcher_points_to_the_same_page(client, catalogue, path, lang, other):
    page = Page(html(client.get(f"/{lang}/{path}")))
    hreflang = {"zh-hans": "zh-Hans", "en": "en"}[other]
    switch = [a["href"] for a in page.find("a") if a.get("hreflang") == hreflang]
    assert switch == [f"/{other}/{path}"]


def test_language_switcher_keeps_the_query_string(client, catalogue):
    page = Page(html(client.get("/zh-hans/services/", {"q": "护照", "channel": "counter"})))
    link = next(a["href"] for a in page.find("a") if a.get("hreflang") == "en")
    assert link.startswith("/en/services/?")
    assert "channel=counter" in link
    assert "q=%E6%8A%A4%E7%85%A7" in link or "q=护照" in link
    switched = client.get(link)
    assert listed_services(switched, "en") == ["crj-passport"]


def test_switching_language_on_a_service_shows_it_in_the_other_language(client, catalogue):
    page = Page(html(client.get("/zh-hans/services/crj-passport/")))
    link = next(a["href"] for a in page.find("a") if a.get("hreflang") == "en")
    assert link == "/en/services/crj-passport/"
    assert "<h1>Ordinary passport</h1>" in html(client.get(link))


def test_root_redirects_to_the_chinese_home_page(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/zh-hans/"


def test_root_redirects_an_english_browser_to_the_english_home_page(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    assert response.status_code == 302
    assert response["Location"] == "/en/"


def test_page_without_language_prefix_redirects_to_chinese(client, catalogue):
    response = client.get("/services/crj-passport/")
    assert response.status_code == 302
    assert response["Location"] == "/zh-hans/services/crj-passport/"


def test_home_page_links_to_categories_and_districts_with_active_offices(client, catalogue):
    page = Page(html(client.get("/en/")))
    hrefs = {a.get("href") for a in page.find("a")}
    assert "/en/services/?category=crj" in hrefs
    assert "/en/offices/?district=east" in hrefs
    assert "/en/offices/?district=west" in hrefs
    DistrictFactory(code="empty")
    OfficeFactory(district__code="only-closed", is_active=False)
    hrefs = {a.get("href") for a in Page(html(client.get("/en/"))).find("a")}
    assert "/en/offices/?district=empty" not in hrefs
    assert "/en/offices/?district=only-closed" not in hrefs
