"""Every page, the admin and the API docs work under the strict Content Security Policy: the
browser reports no violation while they load."""

import pytest
from django.contrib import admin
from django.urls import reverse

pytestmark = pytest.mark.e2e

PUBLIC = [
    "/zh-hans/",
    "/en/services/",
    "/zh-hans/services/za-no-criminal-record/",
    "/zh-hans/offices/",
    "/zh-hans/book/",
    "/zh-hans/book/manage/",
    "/zh-hans/account/signin/",
    "/zh-hans/staff/",
    "/api/docs/", "/zh-hans/queue/screen/{office}/",
]


def _admin_pages() -> list[str]:
    pages = [reverse("admin:index")]
    for model in admin.site._registry:
        meta = model._meta
        pages.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
    return pages


def _violations(page, url: str) -> list[str]:
    found: list[str] = []
    page.on(
        "console", lambda m: found.append(m.text) if "Content Security Policy" in m.text else None
    )
    page.goto(url)
    page.wait_for_load_state("networkidle")
    found += page.evaluate("window.__csp || []")
    return found


def _watch(context) -> None:
    context.add_init_script(
        "window.__csp = []; document.addEventListener('securitypolicyviolation',"
        " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
    )


def test_public_pages_and_api_docs_load_without_csp_violations(site, browser):
    context = browser.new_context()
    _watch(context)
    page = context.new_page()
    from services.models import Office

    office = Office.objects.filter(is_active=True).first().code
    for path in PUBLIC:
        path = path.format(office=office)
        assert _violations(page, site + path) == [], path
    context.close()


def test_admin_pages_load_without_csp_violations(site, browser, admin_user):
    from django.test import Client

    from accounts.tests.factories import verify_session

    client = verify_session(Client(), admin_user)
    context = browser.new_context()
    host = site.split("//", 1)[1].split(":")[0]
    context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "domain": host,
                "path": "/",
            }
        ]
    )
    _watch(context)
    page = context.new_page()
    for path in _admin_pages() + ["/zh-hans/staff/", "/zh-hans/staff/audit/"]:
        assert _violations(page, site + path) == [], path
        assert "/staff/signin" not in page.url, f"{path} asked to sign in again"
    context.close()
