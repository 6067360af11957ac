"""The privacy notice on a phone and a desktop, reached from the footer; `make screenshots`
keeps pictures of it in docs/screenshots/."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e
OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def test_the_footer_leads_to_the_notice(request, live_server, transactional_db, page):
    page.goto(live_server.url + "/zh-hans/")
    page.get_by_role("contentinfo").get_by_role("link", name="隐私声明").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("隐私声明")
    expect(page.get_by_role("heading", level=2)).to_have_text(
        ["我们收集什么、为什么收集", "保存多长时间", "谁能看到", "您的权利"]
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    if request.config.getoption("--screenshots"):
        page.screenshot(path=OUT / f"privacy-{page.form_factor}.png", full_page=True)
