"""The confirmation PDF and the .ics file, read back as a resident's reader and calendar would."""

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pypdf
import pytest
from icalendar import Calendar
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from appointments import actions
from appointments.printouts import booking_ics, booking_pdf
from appointments.tests.factories import ScheduleFactory, SlotFactory
from core.pdf import BASE_URL
from core.pdf_engine import StaticOnlyFetcher
from core.tests.factories import id_number
from services.tests.factories import OfficeFactory, ServiceFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2025, 6, 4, 10, 0, tzinfo=SHANGHAI)  # a Wednesday
TOMORROW_10 = dt.datetime(2025, 6, 5, 10, 0, tzinfo=SHANGHAI)

MATERIALS = [
    {"name_zh": "居民身份证", "name_en": "Resident ID card"},
    {"name_zh": "近期免冠彩色照片", "name_en": "Recent colour photo", "copies": 2},
    {"name_zh": "居民户口簿", "name_en": "Household register booklet"},
    {"name_zh": "原护照", "name_en": "Old passport", "is_optional": True},
    {
        "name_zh": "监护人身份证明",
        "name_en": "Guardian's ID",
        "note_zh": "未成年人需要",
        "note_en": "For minors",
    },
    {"name_zh": "其他证明材料", "name_en": "Other supporting documents", "is_optional": True},
]


def make_booking(language: str = "zh-hans"):
    service = ServiceFactory(
        name_zh="普通护照申领", name_en="Passport application", materials=MATERIALS
    )
    office = OfficeFactory(
        name_zh="星城市出入境服务大厅",
        name_en="Xingcheng Exit-Entry Service Hall",
        address_zh="星城市芙蓉区五一大道100号",
        address_en="100 Wuyi Avenue, Furong District",
    )
    slot = SlotFactory(
        schedule=ScheduleFactory(office=office, services=[service]), start=TOMORROW_10
    )
    return actions.booking_create(
        slot_id=slot.pk,
        service=service,
        name="张三",
        id_number=id_number(1),
        phone="13800138000",
        language=language,
    )


def pdf_text(pdf: bytes) -> tuple[pypdf.PdfReader, str]:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def squeeze(text: str) -> str:
    return "".join(text.split())


def test_the_pdf_shows_code_service_office_time_and_checklist_on_one_page():
    booking = make_booking()

    reader, text = pdf_text(booking_pdf(booking))

    assert len(reader.pages) == 1  # six checklist items still fit one A4 page
    flat = squeeze(text)
    assert booking.code in flat  # printed in two groups of four for reading aloud
    assert "普通护照申领" in flat and "Passportapplication" in flat
    assert "星城市芙蓉区五一大道100号" in flat and "100WuyiAvenue" in flat
    assert "2025年6月5日" in flat and "星期四" in flat and "Thursday" in flat
    assert "10:00–10:30" in text
    assert "09:30" in text  # check in from 30 minutes before
    assert "近期免冠彩色照片" in flat and "Recentcolourphoto" in flat
    assert booking.id_masked in text and "张三" in text
    assert "430102199005170011" not in flat
    assert "http://127.0.0.1:8000/zh-hans/book/manage/" in text.replace("\n", "")
    mediabox = reader.pages[0].mediabox
    assert (round(float(mediabox.width)), round(float(mediabox.height))) == (595, 842)  # A4


def test_the_pdf_embeds_a_noto_cjk_font():
    reader, _text = pdf_text(booking_pdf(make_booking()))

    embedded = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = (
                font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            )
            descriptor = descendant["/FontDescriptor"].get_object()
            for key in {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor):
                # The font program inflates to an OpenType font (core.pdf deflates it itself).
                program = descriptor[key].get_object().get_data()
                assert program[:4] in (b"OTTO", b"\x00\x01\x00\x00"), program[:4]
                embedded.add(str(font["/BaseFont"]).replace("-", ""))
    assert any("NotoSansCJKSC" in name for name in embedded), embedded


def test_an_english_booking_has_an_english_pdf_with_the_chinese_names_kept():
    booking = make_booking("en")

    reader, text = pdf_text(booking_pdf(booking))

    flat = squeeze(text)
    assert "Appointmentconfirmation" in flat
    assert "Thursday,June5,2025" in flat
    assert "Passportapplication" in flat and "普通护照申领" in flat
    assert "http://127.0.0.1:8000/en/book/manage/" in text.replace("\n", "")
    assert reader.metadata.title.startswith("Appointment confirmation")


def test_a_cancelled_booking_pdf_says_so():
    booking = actions.booking_cancel(booking=make_booking("en"))

    _reader, text = pdf_text(booking_pdf(booking))

    assert "Cancelled" in text


def parse_ics(data: bytes) -> tuple[Calendar, object]:
    calendar = Calendar.from_ical(data)
    (event,) = calendar.walk("VEVENT")
    return calendar, event


def test_the_ics_is_an_event_at_the_booked_time_with_a_reminder_the_day_before():
    booking = make_booking()

    calendar, event = parse_ics(booking_ics(booking))

    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(event["UID"]) == f"{booking.code}@onewindow"
    assert event.decoded("DTSTART") == dt.datetime(2025, 6, 5, 2, 0, tzinfo=dt.UTC)
    assert event.decoded("DTEND") == dt.datetime(2025, 6, 5, 2, 30, tzinfo=dt.UTC)
    assert str(event["SUMMARY"]) == "普通护照申领"
    assert "星城市芙蓉区五一大道100号" in str(event["LOCATION"])
    description = str(event["DESCRIPTION"])
    assert booking.code in description and "近期免冠彩色照片" in description
    assert str(event["STATUS"]) == "CONFIRMED"
    (alarm,) = event.walk("VALARM")
    assert alarm.decoded("TRIGGER") == dt.timedelta(days=-1)


def test_an_english_booking_ics_uses_the_english_names():
    _calendar, event = parse_ics(booking_ics(make_booking("en")))

    assert str(event["SUMMARY"]) == "Passport application"
    assert "100 Wuyi Avenue" in str(event["LOCATION"])


def test_a_cancelled_booking_ics_cancels_the_same_event():
    booking = make_booking()
    uid = str(parse_ics(booking_ics(booking))[1]["UID"])

    booking = actions.booking_cancel(booking=booking)
    calendar, event = parse_ics(booking_ics(booking))

    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == uid
    assert not event.walk("VALARM")


# The renderer must not become a file or network reader (DOMAIN.md, "Lessons").

LEAKY_HTML = """<!DOCTYPE html><html lang="en"><head><title>t</title>
<link rel="attachment" href="file://{path}">
<link rel="stylesheet" href="file://{path}">
</head><body><p>Hello</p><img src="file://{path}" alt="x">
</body></html>"""


def attached(html: str, fetcher: URLFetcher) -> list[bytes]:
    """The files embedded in the PDF rendered from `html`."""
    pdf = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).write_pdf()
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert "Hello" in reader.pages[0].extract_text()
    return [content for contents in reader.attachments.values() for content in contents]


def test_a_template_naming_a_local_file_gets_nothing(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:TOP-SECRET")
    html = LEAKY_HTML.format(path=secret)

    # The control: WeasyPrint's own fetcher would embed the file in the PDF.
    assert any(b"TOP-SECRET" in content for content in attached(html, URLFetcher()))

    assert attached(html, StaticOnlyFetcher()) == []


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1:6379/",
        "https://example.com/static/css/pdf.css",
        f"{BASE_URL}etc/passwd",
        f"{BASE_URL}static/../../../../etc/passwd",
        f"{BASE_URL}static/%2e%2e/%2e%2e/etc/passwd",
    ],
)
def test_the_fetcher_refuses_anything_but_the_projects_static_files(url):
    with pytest.raises(ValueError):
        StaticOnlyFetcher().fetch(url)


def test_the_fetcher_serves_the_projects_static_files_and_data_uris():
    fetcher = StaticOnlyFetcher()
    assert b"Noto Sans CJK SC" in fetcher.fetch(f"{BASE_URL}static/css/pdf.css").read()
    assert fetcher.fetch("data:text/plain;base64,T0s=").read() == b"OK"
