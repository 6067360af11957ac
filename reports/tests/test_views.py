"""The dashboard and its exports: office scoping, the range picker, CSV and XLSX read back."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import AuditEntry
from accounts.tests.factories import staff
from reports.actions import figures_rebuild

from .factories import DAY, hand_built_day, small_office

pytestmark = pytest.mark.django_db
RANGE = {"first": DAY.isoformat(), "last": DAY.isoformat()}


@pytest.fixture
def two_offices():
    built = []
    for name in ("东风路派出所", "西湖派出所"):
        office, service, counters = small_office(name_zh=name)
        hand_built_day(office, service, counters)
        built.append(office)
    figures_rebuild(first=DAY, last=DAY)
    return built


def test_a_manager_sees_the_figures_of_their_office_only(two_offices, verified_client):
    mine, theirs = two_offices
    client = verified_client(staff("manager", office=mine))
    page = client.get(reverse("reports:dashboard"), RANGE)
    assert page.status_code == 200
    html = page.content.decode()
    assert mine.name_zh in html and theirs.name_zh not in html
    report = page.context["report"]
    assert report.total.bookings == 5 and report.total.wait_median == 10
    assert "<svg viewBox" in html and 'role="img"' in html
    assert "居民甲乙" not in html  # the residents' names never appear


def test_another_office_is_not_found(two_offices, verified_client):
    mine, theirs = two_offices
    client = verified_client(staff("manager", office=mine))
    page = client.get(reverse("reports:dashboard"), {**RANGE, "office": theirs.pk})
    assert page.status_code == 404
    export = reverse("reports:export", args=["office", "csv"])
    assert client.get(export, {**RANGE, "office": theirs.pk}).status_code == 404


def test_the_bureau_sees_every_office_and_can_pick_one(two_offices, verified_client):
    first, second = two_offices
    client = verified_client(staff("manager", office=None))
    page = client.get(reverse("reports:dashboard"), RANGE)
    assert page.context["report"].total.bookings == 10
    assert page.context["comparison"] is not None
    picked = client.get(reverse("reports:dashboard"), {**RANGE, "office": second.pk})
    assert picked.context["report"].total.bookings == 5


def test_a_clerk_may_not_open_the_statistics(two_offices, verified_client):
    client = verified_client(staff("clerk", office=two_offices[0]))
    assert client.get(reverse("reports:dashboard")).status_code == 403


def test_the_second_factor_is_required(two_offices, client):
    user = staff("manager", office=two_offices[0])
    client.force_login(user)
    response = client.get(reverse("reports:dashboard"))
    assert response.status_code == 302


def test_a_reversed_range_is_refused_with_a_message(two_offices, verified_client):
    client = verified_client(staff("manager", office=two_offices[0]))
    page = client.get(reverse("reports:dashboard"), {"first": "2026-03-05", "last": "2026-03-01"})
    assert page.status_code == 200
    assert "早于" in page.content.decode() or "before" in page.content.decode()


def test_csv_export_reads_back_with_chinese_names(two_offices, verified_client):
    mine, _theirs = two_offices
    client = verified_client(staff("manager", office=None))
    response = client.get(reverse("reports:export", args=["office", "csv"]), RANGE)
    assert response.status_code == 200
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["办事地点", "预约", "取消"]
    by_name = {row[0]: dict(zip(header, row, strict=True)) for row in body}
    assert by_name[mine.name_zh]["预约"] == "5"
    assert by_name[mine.name_zh]["爽约率"] == "25.0"
    assert by_name["合计"]["等候中位数（分钟）"] == "10"
    assert len(body) == 3  # two offices and the total
    assert AuditEntry.objects.filter(action="export").count() == 1


def test_xlsx_export_reads_back(two_offices, verified_client):
    mine, _theirs = two_offices
    client = verified_client(staff("manager", office=mine))
    response = client.get(reverse("reports:export", args=["counter", "xlsx"]), RANGE)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[0] == "窗口" and "预约" not in header  # bookings belong to no counter
    served, wait = header.index("已办结"), header.index("等候90分位（分钟）")
    assert sorted((row[served], row[wait]) for row in rows[1:]) == [(2, 8), (3, 22)]


def test_an_unknown_table_is_not_found(two_offices, verified_client):
    client = verified_client(staff("manager", office=two_offices[0]))
    assert client.get(reverse("reports:export", args=["people", "csv"])).status_code == 404
