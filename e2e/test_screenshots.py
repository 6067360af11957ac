"""`make screenshots` (pytest --screenshots) refreshes docs/screenshots/; skipped otherwise."""

from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
PAGES = {
    "home": "/zh-hans/",
    "catalogue": "/zh-hans/services/?category=za",
    "service": "/zh-hans/services/za-no-criminal-record/",
    "office": "/zh-hans/offices/{office}/",
    "service-en": "/en/services/za-no-criminal-record/",
    "offices-en": "/en/offices/",
    "search-colloquial": "/zh-hans/services/?q=良民证",
    "search-none": "/zh-hans/services/?q=宇宙飞船",
    "search-none-en": "/en/services/?q=spaceship",
}


def test_screenshots(request, site, page):
    if not request.config.getoption("--screenshots"):
        pytest.skip("screenshots are refreshed by `make screenshots`")
    from services.models import Office

    office = Office.objects.filter(services__code="za-no-criminal-record").first()
    OUT.mkdir(parents=True, exist_ok=True)
    for name, path in PAGES.items():
        page.goto(site + path.format(office=office.code))
        page.screenshot(path=OUT / f"{name}-{page.form_factor}.png", full_page=True)
