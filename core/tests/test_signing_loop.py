"""Signing works from a thread whose event loop is running (an ASGI server, a Playwright test)."""

import asyncio
import threading

import pytest

from core import signing


@pytest.fixture
def demo_keys(settings, tmp_path):
    settings.SIGNING_DEMO_DIR = tmp_path / "keys"
    signing.reset_signing_cache()
    yield
    signing.reset_signing_cache()


def blank_pdf() -> bytes:
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_pdf_is_signed_and_checked_inside_a_running_event_loop(demo_keys):
    async def inside_a_loop():
        signed = signing.pades_sign(blank_pdf(), reason="test")
        return signing.pades_check(signed)

    # In a thread of its own, so that the loop is this test's whatever else runs in the process.
    found = {}
    worker = threading.Thread(target=lambda: found.update(check=asyncio.run(inside_a_loop())))
    worker.start()
    worker.join(timeout=60)
    check = found["check"]
    assert check.intact and check.valid and check.trusted
