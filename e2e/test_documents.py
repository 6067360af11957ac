"""From an online application to a verified certificate, in the browser: the demo resident
applies for a no-criminal-record certificate and uploads the ID card images, the demo reviewer
signs in with TOTP and approves with a fresh code, the resident sees and downloads the signed
PDF, and a third party verifies it at /verify/ by number and code (valid) and with a forged code
(not found); the QR link on the PDF opens the same result.

Locators use ids and URLs rather than texts, so the test holds before and after translation."""

import io
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from e2e.otp import code_for, next_code

pytestmark = pytest.mark.e2e
OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
REVIEWER = ("reviewer1", "onewindow-demo", "ONEWINDOWREVIEW2")
SHOTS = os.environ.get("E2E_SHOTS_DIR")  # set it to look at the pages the test walks through


def _png(path: Path) -> Path:
    from PIL import Image

    Image.new("RGB", (320, 200), (40, 90, 160)).save(path, "PNG")
    return path


def _submit(page) -> None:
    page.locator("main form.form-stack button[type=submit]").first.click()


def _apply_as_resident(page, site: str, tmp_path: Path) -> str:
    from core.tests.factories import id_number
    from documents.demo import DEMO_RESIDENT_PASSWORD, DEMO_RESIDENT_PHONE

    page.goto(site + "/zh-hans/account/signin/")
    page.locator("#id_contact").fill(DEMO_RESIDENT_PHONE)
    page.locator("#id_password").fill(DEMO_RESIDENT_PASSWORD)
    _submit(page)
    page.goto(site + "/zh-hans/documents/apply/no-criminal-record/")
    from accounts.demo import DEMO_OFFICE

    page.locator("#id_office").select_option(DEMO_OFFICE)  # where the demo reviewer works
    page.locator("#id_applicant_name").fill("张小三")
    page.locator("#id_applicant_id").fill(id_number(733))
    page.locator("#id_phone").fill("13800000001")
    page.locator("input[name=purpose][value=employment]").check()
    page.locator("#id_receiving_org").fill("星城市第一中学")
    page.locator("#id_id_front").set_input_files(str(_png(tmp_path / "front.png")))
    page.locator("#id_id_back").set_input_files(str(_png(tmp_path / "back.png")))
    _submit(page)  # the period forgotten: refused, the ID photos are kept
    expect(page.locator("#period-label .required-mark")).to_be_visible()
    expect(page.locator(".doc-kept")).to_contain_text("front.png")
    expect(page.locator(".doc-kept")).to_contain_text("back.png")
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/apply-refused-kept.png", full_page=True)
    page.locator("#id_period_from").fill("2020-01-01")
    page.locator("#id_period_to").fill("2026-01-01")
    _submit(page)
    expect(page).to_have_url(re.compile(r"/zh-hans/documents/r/[^/]+/review/$"))
    reference = page.url.rstrip("/").split("/")[-2]
    _submit(page)
    expect(page).to_have_url(re.compile(rf"/zh-hans/documents/r/{reference}/$"))
    return reference


def _approve_as_reviewer(page, site: str, reference: str, clock) -> None:
    username, password, secret = REVIEWER
    page.goto(site + "/zh-hans/staff/sign-in/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    _submit(page)
    code, used = code_for(secret)
    page.locator("#id_otp").fill(code)
    _submit(page)
    expect(page).to_have_url(re.compile(r"/zh-hans/staff/$"))
    page.goto(f"{site}/zh-hans/staff/documents/{reference}/")
    form = page.locator("form.doc-approve")
    expect(form).to_be_visible()
    otp = form.locator("input[name=otp]")
    if otp.count():
        otp.fill(next_code(secret, after=used, clock=clock))  # the sign-in used the current one
    form.locator("button[type=submit]").click()
    expect(page.locator(".doc-status-issued")).to_be_visible(timeout=60_000)
    pdf_link = page.locator(f"a[href$='/staff/documents/{reference}/certificate.pdf?download=1']")
    for _attempt in range(30):  # the PDF is made by a task after the approval
        if pdf_link.count():
            break
        page.wait_for_timeout(1000)
        page.reload()
    with page.expect_download() as download:
        pdf_link.click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/review-certificate.png", full_page=True)


def _code_and_link(pdf: bytes) -> tuple[str, str]:
    import pdfplumber

    from documents.tests.certificate_helpers import qr_texts

    with pdfplumber.open(io.BytesIO(pdf)) as document:
        text = document.pages[0].extract_text()
    code = re.search(r"((?:[2-9A-HJ-NP-Z]{4} ){6}[2-9A-HJ-NP-Z]{4})", text).group(1)
    [link] = qr_texts(pdf)
    return code, link


def test_apply_approve_download_and_verify(
    request, site, browser, tmp_path, settings, time_machine
):
    from documents.models import Certificate

    settings.SITE_URL = site
    refresh = request.config.getoption("--screenshots")
    resident = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    reviewer = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    employer = browser.new_context(
        locale="en-GB", viewport={"width": 1280, "height": 900}, accept_downloads=False
    )
    for context in (resident, reviewer, employer):
        context.set_default_timeout(20_000)
    try:
        page = resident.new_page()
        reference = _apply_as_resident(page, site, tmp_path)
        _approve_as_reviewer(reviewer.new_page(), site, reference, time_machine)

        page.reload()
        certificate = Certificate.objects.get(request__reference=reference)
        expect(page.locator("#certificate-number")).to_have_text(certificate.number)
        with page.expect_download() as download_info:
            page.locator(f"a[href$='/documents/r/{reference}/certificate.pdf']").first.click()
        pdf = Path(download_info.value.path()).read_bytes()
        assert pdf.startswith(b"%PDF-")
        code, link = _code_and_link(pdf)
        assert link.startswith(site + "/zh-hans/verify/q/")
        if refresh:
            OUT.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=OUT / "certificate-resident.png", full_page=True)

        third = employer.new_page()
        third.goto(site + "/en/verify/")
        third.locator("#id_number").fill(certificate.number)
        third.locator("#id_code").fill(code.lower())
        third.keyboard.press("Enter")  # the form works from the keyboard
        expect(third.locator(".verdict-title")).to_have_attribute("data-status", "valid")
        expect(third.locator(".verify-facts")).to_contain_text(certificate.holder_id_masked)
        expect(third.locator(".verify-facts")).to_contain_text("张*三")
        if refresh:
            third.screenshot(path=OUT / "certificate-verified.png", full_page=True)

        third.goto(site + "/en/verify/")
        third.locator("#id_number").fill(certificate.number)
        forged = ("2" if code[0] != "2" else "3") + code[1:]
        third.locator("#id_code").fill(forged)
        third.locator("main form button[type=submit]").click()
        expect(third.locator(".verdict-title")).to_have_attribute("data-status", "not_found")
        expect(third.locator("main")).not_to_contain_text(certificate.holder_id_masked)

        third.goto(link)
        expect(third.locator(".verdict-title")).to_have_attribute("data-status", "valid")

        page.reload()  # the holder sees the three checks, newest first
        expect(page.locator("table.certificate-checks tbody tr")).to_have_count(3)
    finally:
        for context in (resident, reviewer, employer):
            context.close()
