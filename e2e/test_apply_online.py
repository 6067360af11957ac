"""Item 5 of issue 17: a resident goes from a service page straight to its online application."""

import os
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

SHOTS = os.environ.get("E2E_SHOTS_DIR")  # set it to look at the pages this test walks through


def shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}-{page.form_factor}.png", full_page=True)


@pytest.mark.parametrize("code", ["za-no-criminal-record", "crj-entry-exit-record"])
def test_an_online_service_page_leads_to_its_application_form(site, page, code):
    page.goto(f"{site}/zh-hans/services/{code}/")
    expect(page.locator(".service-detail .tag-online")).to_have_text("可全程网办")
    expect(page.get_by_role("link", name="预约窗口办理")).to_be_visible()
    shot(page, f"service-{code}")
    page.get_by_role("link", name="网上申请").click()
    # The form is for signed-in residents: the sign-in page keeps where the resident was going.
    expect(page).to_have_url(re.compile(r"documents/apply/"))


def test_the_catalogue_marks_fully_online_services_in_english(site, page):
    page.goto(f"{site}/en/services/?category=za")
    item = page.locator(".service-item", has_text="No-criminal-record certificate")
    expect(item.locator(".tag-online")).to_have_text("Can be done fully online")
    shot(page, "service-list-online")
