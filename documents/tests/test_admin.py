"""An office manager defines an online service in the admin, without code: saving publishes a
form version; a broken definition is refused in words; the preview shows the resident's form."""

import json

import pytest
from django.utils import translation

from accounts.tests.factories import staff
from documents.form_catalogue import field, material, option
from documents.models import DocumentType
from services.tests.factories import OfficeFactory, ServiceFactory

pytestmark = pytest.mark.django_db
ADD = "/en/admin/documents/documenttype/add/"


@pytest.fixture
def office():
    return OfficeFactory()


@pytest.fixture
def manager(office):
    return staff("manager", office)


def definition_post(service, **changed) -> dict:
    data = {
        "code": "dog-licence", "service": service.pk, "name_zh": "养犬登记证",
        "name_en": "Dog licence", "is_active": "on",
        "fields": json.dumps([
            field("breed", "text", "犬只品种", "Breed", max_length=40),
            field("vaccinated", "yes_no", "已免疫", "Vaccinated"),
            field("size", "choice", "体型", "Size", choices=[
                option("small", "小型", "Small"), option("large", "大型", "Large")]),
        ], ensure_ascii=False),
        "materials": json.dumps([material("vaccine", "免疫证明", "Vaccination certificate")],
                                ensure_ascii=False),
        "time_limit_days": 5, "review_officers": 1, "outcome": "certificate",
        "number_prefix": "YQZ", "validity_months": 12, "statement_zh": "准予登记。",
        "statement_en": "Registered.",
        "versions-TOTAL_FORMS": 0, "versions-INITIAL_FORMS": 0,
    }
    data.update(changed)
    return data


def test_a_manager_defines_a_service_and_it_is_published(verified_client, manager, office):
    service = ServiceFactory(code="za-dog", channel="both", materials=0)
    office.services.add(service)
    client = verified_client(manager)
    response = client.post(ADD, definition_post(service))
    assert response.status_code == 302, response.context["adminform"].form.errors
    doc_type = DocumentType.objects.get(code="dog-licence")
    assert doc_type.version == 1 and doc_type.versions.get().fields[0]["key"] == "breed"
    preview = client.get(f"/zh-hans/admin/documents/documenttype/{doc_type.pk}/preview/")
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "犬只品种" in html and "免疫证明" in html and "disabled" in html
    assert 'aria-required="true"' in html
    with translation.override("en"):
        english = client.get(f"/en/admin/documents/documenttype/{doc_type.pk}/preview/")
    assert "Breed" in english.content.decode() and "Vaccination certificate" in (
        english.content.decode())


def test_a_broken_definition_is_refused_and_nothing_is_published(verified_client, manager):
    service = ServiceFactory(code="za-dog", channel="both", materials=0)
    bad = json.dumps([{"key": "Breed!", "type": "colour"}])
    response = verified_client(manager).post(ADD, definition_post(service, fields=bad))
    assert response.status_code == 200
    assert "not a usable field key" in response.content.decode()
    assert not DocumentType.objects.exists()


def test_a_clerk_cannot_define_services(verified_client, office):
    service = ServiceFactory(code="za-dog", channel="both", materials=0)
    response = verified_client(staff("clerk", office)).post(ADD, definition_post(service))
    assert response.status_code == 403
    assert not DocumentType.objects.exists()


def test_a_manager_sees_and_edits_only_the_definitions_of_services_their_offices_offer(
    verified_client, manager, office, admin_client
):
    from .factories import DocumentTypeFactory

    ours = DocumentTypeFactory(code="ours", name_zh="本所证明")
    office.services.add(ours.service)
    theirs = DocumentTypeFactory(code="theirs", name_zh="他所证明")
    OfficeFactory(services=[theirs.service])
    client = verified_client(manager)
    base = "/en/admin/documents/documenttype/"

    listing = client.get(base).content.decode()
    their_page = client.get(f"{base}{theirs.pk}/change/")
    their_preview = client.get(f"{base}{theirs.pk}/preview/")
    changed = client.post(f"{base}{theirs.pk}/change/", definition_post(
        theirs.service, code="theirs", name_zh="改掉"))
    added = client.post(ADD, definition_post(theirs.service, code="sneaky"))

    assert f"{base}{ours.pk}/change/" in listing and f"{base}{theirs.pk}/change/" not in listing
    assert client.get(f"{base}{ours.pk}/change/").status_code == 200
    assert their_page.status_code == 404 and their_preview.status_code == 404
    assert changed.status_code == 404
    assert added.status_code == 200 and "service" in added.context["adminform"].form.errors
    assert DocumentType.objects.get(pk=theirs.pk).name_zh == "他所证明"
    assert not DocumentType.objects.filter(code="sneaky").exists()
    everything = admin_client.get(base).content.decode()  # a superuser sees every definition
    assert f"{base}{theirs.pk}/change/" in everything and f"{base}{ours.pk}/change/" in everything
