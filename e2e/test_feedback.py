"""A resident opens the evaluation link from the SMS on a phone, picks 2 with the keyboard, ticks
a tag and sees the thank-you page; the station head (demo manager) signs in and finds the case.

Locators use ids and URLs rather than texts, so the test holds before and after translation.
`pytest --screenshots` also refreshes docs/screenshots/feedback-*.png."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from e2e.otp import code_for

pytestmark = pytest.mark.e2e
OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def test_a_bad_rating_reaches_the_station_head(request, site, page):
    from feedback.models import FollowUpCase
    from feedback.tests.factories import invite
    from services.models import Office

    refresh = request.config.getoption("--screenshots")

    def shot(name: str) -> None:
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"
        if refresh:
            OUT.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=OUT / f"feedback-{name}-{page.form_factor}.png", full_page=True)

    office = Office.objects.get(code="fr-dingwangtai")
    service = office.services.first()
    _invitation, token = invite(office, service, office.counters.first(), ref="ticket:e2e")
    assert token

    page.goto(f"{site}/zh-hans/feedback/rate/{token}/")
    expect(page.locator("main h1")).to_be_visible()
    shot("rate")
    page.locator("#id_rating_1").focus()
    page.keyboard.press("ArrowRight")  # a radio group: arrows move the choice
    expect(page.locator("#id_rating_2")).to_be_checked()
    page.locator("input[name=tags][value=long_wait]").check()
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/zh-hans/feedback/rate/thanks/$"))
    shot("thanks")
    case = FollowUpCase.objects.select_related("evaluation").get()
    assert case.evaluation.rating == 2 and case.evaluation.tags == ["long_wait"]

    page.goto(f"{site}/zh-hans/feedback/rate/{token}/")  # the same link again
    expect(page.locator("main [role=alert]")).to_be_visible()

    if page.form_factor != "desktop":
        return
    page.goto(f"{site}/zh-hans/staff/feedback/cases/")
    page.locator("#id_username").fill("manager1")
    page.locator("#id_password").fill("onewindow-demo")
    page.locator("main form.form-stack button[type=submit]").click()
    page.locator("#id_otp").fill(code_for("ONEWINDOWMANAGER")[0])
    page.locator("main form.form-stack button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/zh-hans/staff/feedback/cases/$"))
    page.locator(f"a[href$='/staff/feedback/cases/{case.pk}/']").click()
    shot("case")
    page.locator("#id_action_taken").fill("已电话回访，致歉并说明已增开窗口。")
    page.locator("main form.form-stack button[type=submit]").click()
    expect(page.locator(".messages")).to_be_visible()
    case.refresh_from_db()
    assert case.status == "closed"


def test_write_to_the_directors_mailbox_and_follow_it(request, site, page):
    if page.form_factor != "phone":
        pytest.skip("a resident's journey on a phone")
    refresh = request.config.getoption("--screenshots")

    def shot(name: str) -> None:
        if refresh:
            OUT.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=OUT / f"feedback-{name}-{page.form_factor}.png", full_page=True)

    page.goto(f"{site}/zh-hans/feedback/mailbox/")
    shot("mailbox")
    page.locator("#id_category").select_option("suggestion")
    page.locator("#id_office").select_option("fr-dingwangtai")
    page.locator("#id_subject").fill("希望周六上午也能办理")
    page.locator("#id_text").fill("上班族工作日请假不便，建议周六上午开放一个窗口。")
    page.locator("#id_name").fill("周九")
    page.locator("#id_phone").fill("13600001234")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/zh-hans/feedback/mailbox/sent/$"))
    shot("mailbox-sent")
    reference, code = (text.strip() for text in page.locator("main .code-big").all_inner_texts())
    assert re.fullmatch(r"[2-9A-HJ-NP-Z]{8}", reference) and re.fullmatch(r"\d{6}", code)

    page.goto(f"{site}/zh-hans/feedback/mailbox/follow/")
    page.locator("#id_reference").fill(reference)
    page.locator("#id_code").fill(code)
    page.locator("main form button[type=submit]").click()
    expect(page.locator("main dl.summary")).to_contain_text(reference)
    shot("mailbox-follow")
