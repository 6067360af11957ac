"""The catalogue (a lower app) offers "Apply online" for services that have an online form."""

import pytest
from django.urls import reverse
from django.utils import translation

from services.tests.factories import ServiceFactory

from .factories import DocumentTypeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def online():
    return DocumentTypeFactory(
        code="no-criminal-record",
        service=ServiceFactory(code="za-wfz", channel="both", materials=0),
    )


@pytest.fixture
def counter_only():
    return ServiceFactory(code="hz-move", channel="counter", name_zh="户口迁移", materials=0)


def page(client, name: str, *args, lang: str = "zh-hans") -> str:
    with translation.override(lang):
        return client.get(reverse(name, args=args)).content.decode()


def test_an_online_service_page_offers_apply_online_next_to_the_counter_booking(client, online):
    html = page(client, "services:service_detail", "za-wfz")
    with translation.override("zh-hans"):
        apply = reverse("documents:request_apply", args=["no-criminal-record"])
    assert f'href="{apply}"' in html
    assert "网上申请" in html and "预约窗口办理" in html
    assert "可全程网办" in html


def test_a_counter_only_service_page_offers_no_online_application(client, counter_only):
    html = page(client, "services:service_detail", "hz-move", lang="en")
    assert "Apply online" not in html and "fully online" not in html
    assert "Book a counter appointment" in html


def test_an_inactive_online_form_is_not_offered(client, online):
    online.is_active = False
    online.save()
    assert "Apply online" not in page(client, "services:service_detail", "za-wfz", lang="en")


def test_the_list_marks_the_services_done_fully_online(client, online, counter_only):
    html = page(client, "services:service_list", lang="en")
    items = {code: chunk for chunk in html.split('class="service-item"')[1:]
             for code in ("za-wfz", "hz-move") if f"/services/{code}/" in chunk}
    assert "Can be done fully online" in items["za-wfz"]
    assert "Can be done fully online" not in items["hz-move"]


def test_the_api_says_which_services_are_fully_online_and_where_to_apply(client, online,
                                                                          counter_only):
    rows = {r["code"]: r for r in client.get("/api/v1/services/").json()["results"]}
    assert rows["za-wfz"]["fully_online"] is True
    assert rows["za-wfz"]["apply_url"].endswith("/documents/apply/no-criminal-record/")
    assert rows["hz-move"]["fully_online"] is False and rows["hz-move"]["apply_url"] is None
    one = client.get("/api/v1/services/za-wfz/").json()
    assert one["fully_online"] is True
