"""长辈版 (large-type mode), item 10 of issue 17: a resident on a 360 px phone switches it on
from the header, and walks the resident journey in both modes — home, catalogue, search, a
service page, every booking step, the look-up and cancellation, the waiting list, a document
application and its status, the verification page and an error page. On every page: the
smallest text is at least 14 px (normal) or 18 px (长辈版), nothing scrolls sideways, and
axe-core (the copy that axe-playwright-python ships) finds no violation.

`pytest --screenshots` also writes docs/screenshots/elder-*.png (长辈版, 360 px).
Locators use URLs and ids rather than texts, so the test holds in both languages."""

import datetime as dt
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from core.tests.factories import id_number
from e2e.conftest import PHONE

pytestmark = pytest.mark.e2e
OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
SERVICE = "hz-id-card-renewal"
MIN_FONT = {"normal": 14, "elder": 18}

# The smallest computed font size of any rendered element that holds text of its own.
SMALLEST_TEXT = """() => {
  let smallest = Infinity, where = "";
  for (const el of document.body.querySelectorAll("*")) {
    if (!el.getClientRects().length) continue;
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < smallest) {
      smallest = size;
      where = `${el.tagName.toLowerCase()}.${el.className} "${el.textContent.trim().slice(0, 40)}"`;
    }
  }
  return [smallest, where];
}"""


class Walk:
    """Checks each page a resident sees in one mode, and keeps what failed."""

    def __init__(self, page, mode: str, screenshots: bool) -> None:
        from axe_playwright_python.sync_playwright import Axe

        self.page, self.mode, self.screenshots, self.axe = page, mode, screenshots, Axe()
        self.seen: list[str] = []

    def check(self, name: str) -> None:
        page = self.page
        page.wait_for_load_state("load")
        assert page.evaluate("document.documentElement.classList.contains('elder')") == (
            self.mode == "elder"
        ), f"{name}: wrong mode on {page.url}"
        smallest, where = page.evaluate(SMALLEST_TEXT)
        assert smallest >= MIN_FONT[self.mode], f"{name} ({self.mode}): {smallest}px at {where}"
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{name} ({self.mode}) scrolls sideways by {overflow}px"
        violations = self.axe.run(page).response["violations"]
        assert not violations, f"{name} ({self.mode}): " + "; ".join(
            f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}" for v in violations
        )
        self.seen.append(name)
        if self.screenshots and self.mode == "elder":
            OUT.mkdir(parents=True, exist_ok=True)
            number = len(self.seen)
            height = min(page.evaluate("document.documentElement.scrollHeight"), 1600)
            page.screenshot(  # the first two screens: what a resident sees before scrolling far
                path=OUT / f"elder-{number:02d}-{name}.png", full_page=True,
                clip={"x": 0, "y": 0, "width": PHONE["viewport"]["width"], "height": height},
            )  # fmt: skip


def _fill_day(office_code: str, day: str) -> None:
    """Every place of the office's day taken (set up directly: the waiting list opens)."""
    from django.db.models import F

    from appointments.models import Slot

    local = dt.timezone(dt.timedelta(hours=8))
    start = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(), tzinfo=local)
    slots = Slot.objects.filter(
        office__code=office_code, start__gte=start, start__lt=start + dt.timedelta(days=1)
    )
    assert slots.update(booked=F("bookable"))


def _walk(page, site: str, walk: Walk, tmp_path: Path) -> None:
    from django.contrib.auth import get_user_model

    from documents.demo import DEMO_RESIDENT_PASSWORD, DEMO_RESIDENT_PHONE
    from documents.models import DocumentType
    from documents.tests.factories import request_in

    submit = "main form.form-stack button[type=submit]"
    page.goto(site + "/zh-hans/")
    walk.check("home")
    page.goto(site + "/zh-hans/services/")
    walk.check("catalogue")
    page.goto(site + "/zh-hans/services/?q=良民证")
    walk.check("search")
    page.goto(f"{site}/zh-hans/services/{SERVICE}/")
    walk.check("service")

    page.locator(f"main a.button[href='/zh-hans/book/{SERVICE}/']").click()
    expect(page).to_have_url(re.compile(rf"/zh-hans/book/{SERVICE}/$"))
    walk.check("book-office")
    office_link = page.locator("#results a.choice").first
    office_code = office_link.get_attribute("href").rstrip("/").rsplit("/", 1)[1]
    with page.expect_navigation():
        office_link.click()
    full_day = page.locator("a.day-open").nth(2).get_attribute("href").split("date=")[1][:10]
    page.locator("a.day-open").nth(1).click()
    expect(page.locator("#slots-title")).to_be_focused()
    walk.check("book-time")
    with page.expect_navigation():
        page.locator("ul.slot-list a.slot").first.click()
    page.locator(submit).click()  # nothing filled in
    expect(page.locator("#form-errors")).to_be_focused()
    walk.check("book-details-errors")
    number = id_number(731 if walk.mode == "normal" else 732)
    page.locator("#id_name").fill("张三")
    page.locator("#id_id_number").fill(number)
    page.locator("#id_phone").fill("13800138000")
    page.locator("#id_consent").check()
    page.locator(submit).click()
    expect(page).to_have_url(re.compile(r"/zh-hans/book/done/[2-9A-Z]{8}/$"))
    code = page.locator(".booking-code").inner_text().strip()
    walk.check("book-done")

    page.goto(site + "/zh-hans/book/manage/")
    page.locator("#id_code").fill(code)
    page.locator("#id_id_last4").fill(number[-4:])
    walk.check("lookup")
    page.locator(submit).click()
    expect(page).to_have_url(re.compile(rf"/zh-hans/book/manage/{code}/$"))
    walk.check("manage")
    with page.expect_navigation():
        page.locator(f"a[href='/zh-hans/book/manage/{code}/cancel/']").click()
    walk.check("cancel")

    _fill_day(office_code, full_day)
    page.goto(f"{site}/zh-hans/book/{SERVICE}/{office_code}/wait/?date={full_day}")
    walk.check("waiting-join")
    page.locator("#id_name").fill("王五")
    page.locator("#id_id_number").fill(id_number(802 if walk.mode == "normal" else 803))
    page.locator("#id_phone").fill("13700137000")
    page.locator("#id_consent").check()
    page.locator(submit).click()
    expect(page).to_have_url(re.compile(r"/zh-hans/book/waiting/[^/]+/$"))
    walk.check("waiting-joined")

    page.goto(site + "/zh-hans/account/signin/")
    page.locator("#id_contact").fill(DEMO_RESIDENT_PHONE)
    page.locator("#id_password").fill(DEMO_RESIDENT_PASSWORD)
    page.locator(submit).click()
    page.goto(site + "/zh-hans/documents/")
    walk.check("documents")
    page.goto(site + "/zh-hans/documents/apply/no-criminal-record/")
    walk.check("documents-apply")
    resident = get_user_model().objects.get(username=DEMO_RESIDENT_PHONE)
    doc_type = DocumentType.objects.get(code="no-criminal-record")
    request = request_in(
        "submitted", user=resident, doc_type=doc_type,
        office=doc_type.service.offices.first(), reference=f"WFZ-2612-E{len(walk.mode):05d}",
    )  # fmt: skip
    page.goto(f"{site}/zh-hans/documents/r/{request.reference}/")
    walk.check("documents-status")

    page.goto(site + "/zh-hans/verify/")
    walk.check("verify")
    page.goto(site + "/zh-hans/no-such-page/")
    walk.check("error-404")


@pytest.mark.parametrize("mode", ["normal", "elder"])
def test_the_resident_journey_in_both_modes_at_360px(request, site, browser, mode, tmp_path):
    context = browser.new_context(locale="zh-CN", **PHONE)
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        page.goto(site + "/zh-hans/services/")
        if mode == "elder":
            switch = page.locator("header a.elder-switch")
            switch.focus()  # reachable with the keyboard, and named for a screen reader
            expect(switch).to_contain_text("长辈版")
            page.keyboard.press("Enter")
            expect(page).to_have_url(re.compile(r"/zh-hans/services/$"))  # back, no parameter
            expect(page.locator("header a.elder-switch")).to_contain_text("标准版")
        walk = Walk(page, mode, request.config.getoption("--screenshots"))
        _walk(page, site, walk, tmp_path)
        assert len(walk.seen) == 18
    finally:
        context.close()


def test_the_switch_is_remembered_and_a_link_can_turn_it_on_or_off(site, browser):
    context = browser.new_context(locale="en-US", **PHONE)
    page = context.new_page()
    try:
        page.goto(site + "/en/offices/?district=x&elder=1")
        expect(page).to_have_url(re.compile(r"/en/offices/\?district=x$"))
        assert page.evaluate("document.documentElement.className") == "elder"
        [cookie] = [c for c in context.cookies() if c["name"] == "ow_elder"]
        assert cookie["value"] == "1" and cookie["expires"] > 0  # kept across visits
        walk = Walk(page, "elder", screenshots=False)
        walk.check("en-offices")  # English runs longer than Chinese: still fits, still large
        page.goto(site + "/en/services/za-no-criminal-record/")
        walk.check("en-service")
        page.goto(site + "/en/verify/")
        walk.check("en-verify")
        expect(page.locator("header a.elder-switch")).to_contain_text("Standard text")
        page.locator("header a.elder-switch").click()
        expect(page).to_have_url(re.compile(r"/en/verify/$"))
        assert page.evaluate("document.documentElement.className") == ""
        expect(page.locator("header a.elder-switch")).to_contain_text("Large text")
    finally:
        context.close()
