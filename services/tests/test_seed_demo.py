"""seed_demo: the demo catalogue is complete and consistent; loading it twice changes nothing."""

import io
import re
from decimal import Decimal

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from services.models import (
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

pytestmark = pytest.mark.django_db

REQUIRED_CODES = [
    "za-no-criminal-record", "crj-entry-exit-record", "hz-id-card-renewal", "crj-passport",
    "jg-licence-renewal", "hz-residence-permit",
]

CATEGORIES = [("hz", "A", 1), ("crj", "B", 2), ("jg", "C", 3), ("za", "D", 4)]


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def snapshot() -> dict[str, list[dict]]:
    """Every row the loader can write, primary keys included."""
    models = [Category, Service, ServiceAlias, Material, District, Office, OpeningHours, Counter,
              Office.services.through, Counter.services.through, get_user_model()]
    return {m._meta.label: list(m._default_manager.order_by("pk").values()) for m in models}


def test_counts(seeded):
    assert Office.objects.count() >= 12
    assert Service.objects.count() >= 30
    assert list(Category.objects.values_list("code", "ticket_letter", "position")) == CATEGORIES
    assert District.objects.count() >= 5
    for category in Category.objects.all():
        assert category.services.count() >= 7, category.code


def test_required_services(seeded):
    codes = set(Service.objects.values_list("code", flat=True))
    assert set(REQUIRED_CODES) <= codes
    ncr = Service.objects.get(code="za-no-criminal-record")
    assert (ncr.name_zh, ncr.name_en) == ("无犯罪记录证明", "No-criminal-record certificate")
    assert (ncr.channel, ncr.fee, ncr.time_limit_days) == (Channel.BOTH, Decimal("0"), 3)
    record = Service.objects.get(code="crj-entry-exit-record")
    assert (record.name_zh, record.name_en) == ("出入境记录查询", "Exit-entry record query")
    assert (record.channel, record.fee) == (Channel.BOTH, Decimal("0"))
    for code in codes:
        assert code.split("-")[0] == Service.objects.get(code=code).category.code


def test_every_office_has_hours_and_counters(seeded):
    for office in Office.objects.all():
        assert office.hours.exists(), office.code
        assert office.counters.exists(), office.code
        numbers = sorted(office.counters.values_list("number", flat=True))
        assert numbers == list(range(1, len(numbers) + 1)), office.code
        assert -90 < office.latitude < 90 and office.phone.startswith("0731-8")


def test_counter_services_belong_to_the_office(seeded):
    for counter in Counter.objects.select_related("office"):
        offered = set(counter.office.services.values_list("pk", flat=True))
        served = set(counter.services.values_list("pk", flat=True))
        if counter.serves_all:
            assert not served
        else:
            assert served and served <= offered, str(counter)


def test_every_counter_service_is_offered_somewhere(seeded):
    at_counter = Service.objects.filter(channel__in=[Channel.COUNTER, Channel.BOTH])
    for service in at_counter:
        assert service.offices.exists(), service.code


def test_materials(seeded):
    for service in Service.objects.all():
        materials = list(service.materials.all())
        assert 2 <= len(materials) <= 6, service.code
        assert [m.position for m in materials] == list(range(1, len(materials) + 1))


def test_every_name_is_bilingual(seeded):
    for model in (Category, Service, Material, District, Office, Counter):
        for row in model.objects.values("name_zh", "name_en"):
            assert row["name_zh"].strip() and row["name_en"].strip(), (model, row)
    for office in Office.objects.all():
        assert office.address_zh and office.address_en and office.transit_zh, office.code


def test_second_run_changes_nothing(seeded):
    before = snapshot()
    with CaptureQueriesContext(connection) as queries:
        seed()
    assert snapshot() == before
    writes = [q["sql"] for q in queries.captured_queries
              if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert writes == []


def test_rerun_restores_edited_rows(seeded):
    before = snapshot()
    Service.objects.filter(code="crj-passport").update(name_en="Passport", fee=1)
    Material.objects.filter(service__code="crj-passport").first().delete()
    OpeningHours.objects.filter(office__code="fr-dingwangtai", weekday=0).delete()
    Office.objects.get(code="fr-dingwangtai").services.clear()
    seed("--quiet")
    after = snapshot()
    for label in ("services.Category", "services.Service", "services.District",
                  "services.Office", "services.Counter", "accounts.User"):
        assert after[label] == before[label], label
    passport = Service.objects.get(code="crj-passport")
    assert (passport.name_en, passport.fee, passport.materials.count()) == (
        "Ordinary passport application", Decimal("120"), 4)
    office = Office.objects.get(code="fr-dingwangtai")
    assert office.hours.filter(weekday=0).count() == 2
    assert office.services.filter(code="za-no-criminal-record").exists()


def test_admin_can_log_in_with_the_printed_credentials(seeded):
    match = re.search(r"username (\S+), password (\S+)", seeded)
    assert match, seeded
    username, password = match.group(1), match.group(2).rstrip(".")
    user = authenticate(RequestFactory().post("/"), username=username, password=password)
    assert user is not None and user.is_superuser and user.is_staff
    assert user.email == "admin@onewindow.local"


def test_changed_admin_password_is_kept(seeded):
    user = get_user_model().objects.get(username="admin")
    user.set_password("a-new-long-passphrase")
    user.save()
    output = seed()
    assert "already exists" in output and "onewindow-admin" not in output
    assert authenticate(RequestFactory().post("/"), username="admin",
                        password="a-new-long-passphrase") is not None


def test_quiet_prints_nothing():
    assert seed("--quiet") == ""
    assert Service.objects.count() >= 30
