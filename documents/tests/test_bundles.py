"""一件事 bundles: the catalogue shows them next to services; one online application for the
online parts asks shared data once, takes shared materials once, gives one reference and one
status page, and each part is reviewed by its office and decided on its own; the statistics
count the parts decided within a bundle."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from accounts.tests.factories import staff
from documents import actions, workflow
from documents.constants import RequestStatus, Transition
from documents.form_catalogue import SEED_SERVICES
from documents.models import BundleApplication, DocumentRequest
from documents.selectors import request_decisions_by_office_day
from services.actions import bundle_ensure
from services.tests.factories import OfficeFactory, ServiceFactory

from .factories import ID_NUMBER, DocumentTypeFactory, png_upload, resident

pytestmark = pytest.mark.django_db


@pytest.fixture
def parts():
    """求职就业证明一件事: three online certificates and a counter-only service."""
    wfz = DocumentTypeFactory(code="no-criminal-record", service=ServiceFactory(
        code="za-no-criminal-record", channel="online", materials=0))
    made = [wfz]
    for code in ("hz-household-certificate", "jg-safe-driving-certificate"):
        values = dict(dict(SEED_SERVICES)[code])
        made.append(DocumentTypeFactory(service=ServiceFactory(
            code=code, channel="both", materials=0), **values))
    return made


@pytest.fixture
def counter_only():
    return ServiceFactory(code="hz-id-card-renewal", channel="counter", counter_minutes=15,
                          materials=0)


@pytest.fixture
def office(parts, counter_only):
    return OfficeFactory(services=[p.service for p in parts] + [counter_only])


@pytest.fixture
def bundle(parts, counter_only, office):
    return bundle_ensure(data={
        "code": "job-certificates", "name_zh": "求职就业证明一件事",
        "name_en": "Certificates for a new job, in one go", "description_zh": "一次申请",
        "description_en": "One application",
        "services": [p.service.code for p in parts] + [counter_only.code],
    })


def test_the_catalogue_shows_bundles_next_to_services(client, bundle, office):
    with translation.override("zh-hans"):
        listing = client.get(reverse("services:service_list")).content.decode()
        detail = client.get(reverse("services:bundle_detail", args=["job-certificates"]))
        apply_url = reverse("documents:bundle_apply", args=["job-certificates"])
    assert "求职就业证明一件事" in listing and "一件事" in listing
    html = detail.content.decode()
    assert detail.status_code == 200 and f'href="{apply_url}"' in html
    # The office handles every part, but no schedule of it takes the bundle: no one visit.
    assert office.name not in html and "目前还没有可预约一次办结的单位" in html
    assert detail.context["view"].counter_minutes == sum(
        p.counter_minutes for p in detail.context["view"].services)


def form_data(office, **changed) -> dict:
    data = {
        "token": "b-1", "office": office.code, "applicant_name": "张三", "applicant_id": ID_NUMBER,
        "phone": "13800138000", "purpose": "employment", "receiving_org": "星城科技有限公司",
        "period_from": "2022-01-01", "period_to": "2026-01-01", "kind": "former_name",
        "licence_number": "430100123456", "id_front": png_upload(),
        "id_back": png_upload("b.png"), "booklet": png_upload("booklet.png"),
        "licence": png_upload("licence.png"),
    }
    data.update(changed)
    return {k: v for k, v in data.items() if v is not None}


def test_one_application_for_the_online_parts_asks_shared_data_once(client, bundle, office):
    user = resident()
    client.force_login(user)
    url = reverse("documents:bundle_apply", args=["job-certificates"])
    with translation.override("zh-hans"):
        page = client.get(url).content.decode()
    assert page.count('name="receiving_org"') == 1 and page.count('name="id_front"') == 1
    assert page.count('name="period_from"') == 1
    response = client.post(url, form_data(office))
    application = BundleApplication.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(
        f"/b/{application.reference}/")
    requests = list(application.parts.order_by("id"))
    assert [r.doc_type.code for r in requests] == [
        "no-criminal-record", "household-certificate", "safe-driving-record"]
    assert {r.status for r in requests} == {RequestStatus.SUBMITTED}
    assert all(r.receiving_org == "星城科技有限公司" for r in requests)
    # The ID card photos were uploaded once and stand in every part.
    assert all(set(r.materials.values_list("kind", flat=True)) >= {"id_front", "id_back"}
               for r in requests)
    status = client.get(response["Location"]).content.decode()
    assert application.reference in status
    assert all(r.reference in status for r in requests)


def test_a_refused_bundle_application_writes_nothing(client, bundle, office):
    client.force_login(resident())
    url = reverse("documents:bundle_apply", args=["job-certificates"])
    response = client.post(url, form_data(office, licence_number="", id_back=None))
    errors = response.context["form"].errors
    assert response.status_code == 200 and {"licence_number", "id_back"} <= set(errors)
    assert not BundleApplication.objects.exists() and not DocumentRequest.objects.exists()


def test_each_part_is_decided_on_its_own_and_counted_as_a_bundle(client, bundle, office):
    user = resident()
    client.force_login(user)
    client.post(reverse("documents:bundle_apply", args=["job-certificates"]), form_data(office))
    application = BundleApplication.objects.get()
    first, second, _third = application.parts.order_by("id")
    reviewer = staff("reviewer", office)
    actions.request_start_review(request=first, actor=reviewer)
    workflow.request_transition(request=first, transition=Transition.APPROVE, actor=reviewer)
    actions.request_start_review(request=second, actor=reviewer)
    actions.request_ask_info(request=second, actor=reviewer, message="请补充户口簿本人页")
    statuses = dict(application.parts.values_list("doc_type__code", "status"))
    assert statuses == {"no-criminal-record": "approved", "household-certificate": "needs_info",
                        "safe-driving-record": "submitted"}
    page = client.get(reverse("documents:bundle_detail", args=[application.reference]))
    assert page.content.decode().count("doc-status-") >= 3
    today = timezone.localdate()
    rows = request_decisions_by_office_day(first=today, last=today + dt.timedelta(days=1))
    assert [(r["decided"], r["in_bundle"]) for r in rows] == [(1, 1)]


def test_another_resident_cannot_see_the_bundle(client, bundle, office):
    client.force_login(resident())
    client.post(reverse("documents:bundle_apply", args=["job-certificates"]), form_data(office))
    reference = BundleApplication.objects.get().reference
    client.force_login(resident("13800138009"))
    assert client.get(reverse("documents:bundle_detail", args=[reference])).status_code == 404


def test_without_an_office_for_every_part_each_part_goes_to_its_own(client, parts, counter_only):
    """No office handles all three: the form asks one office per part; each part is then
    reviewed by the office chosen for it."""
    stations = [OfficeFactory(services=[p.service]) for p in parts]
    bundle_ensure(data={"code": "spread", "name_zh": "分散一件事", "name_en": "Spread",
                        "services": [p.service.code for p in parts]})
    client.force_login(resident())
    url = reverse("documents:bundle_apply", args=["spread"])
    page = client.get(url)
    names = [f"office__{p.code}" for p in parts]
    assert all(name in page.context["form"].fields for name in names)
    data = form_data(stations[0], **{n: s.code for n, s in zip(names, stations, strict=True)})
    refused = client.post(url, {**data, names[2]: stations[0].code})  # not offered there
    assert names[2] in refused.context["form"].errors
    assert not BundleApplication.objects.exists()
    again = form_data(stations[0], token="b-2",
                      **{n: s.code for n, s in zip(names, stations, strict=True)})
    done = client.post(url, again)
    assert done.status_code == 302, done.context["form"].errors
    application = BundleApplication.objects.get()
    assert [r.office for r in application.parts.order_by("id")] == stations


def test_the_api_applies_once_for_every_online_part_and_shows_each_status(bundle, office):
    import base64

    from django.core.cache import cache
    from rest_framework.test import APIClient

    from accounts.actions import api_client_create

    from .factories import png_bytes

    cache.clear()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_client_create(name='platform')[1]}")
    png = base64.b64encode(png_bytes()).decode()
    body = {
        "office": office.code, "applicant_name": "张三", "applicant_id_number": ID_NUMBER,
        "phone": "13800138000", "purpose": "employment", "receiving_org": "星城科技有限公司",
        "period_from": "2022-01-01", "period_to": "2026-01-01", "kind": "former_name",
        "licence_number": "430100123456",
        "materials": [{"kind": k, "content_base64": png}
                      for k in ("id_front", "id_back", "booklet", "licence")],
    }
    url = "/api/v1/bundles/job-certificates/applications/"

    refused = api.post(url, {**body, "licence_number": ""}, format="json")
    created = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    replay = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    shown = api.get(f"/api/v1/bundle-applications/{created.json()['reference']}/")

    assert refused.status_code == 400 and "licence_number" in refused.json()
    assert created.status_code == 201 and replay.json() == created.json()
    assert BundleApplication.objects.count() == 1
    parts = created.json()["parts"]
    assert [p["service"] for p in parts] == [
        "za-no-criminal-record", "hz-household-certificate", "jg-safe-driving-certificate"]
    assert {p["status"] for p in parts} == {RequestStatus.SUBMITTED}
    assert shown.json() == created.json()
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Token {api_client_create(name='other')[1]}")
    assert other.get(f"/api/v1/bundle-applications/{created.json()['reference']}/"
                     ).status_code == 404
    cache.clear()
