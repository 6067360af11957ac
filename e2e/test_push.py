"""Pushed updates in the browser (queues/tests/push_server.py: a real push server, Redis pub/sub
on PostgreSQL, the dev server's in-memory layer on SQLite): the waiting-room screen and the
phone's ticket page, streams open, make no request while nothing happens; a clerk's call shows
on the screen by push within 500 ms of the console's answer, and on the ticket page."""

import time

import pytest

from queues.tests.push_server import console_post_sync, make_hall, start_server

from .conftest import PHONE

pytestmark = pytest.mark.django_db(transaction=True)

# When a text first appears in an element: stamped by the page itself (Date.now(), the same
# wall clock as this process's time.time()).
WATCH = """([selector, text]) => new Promise((resolve) => {
  const seen = () => (document.querySelector(selector)?.textContent || "").includes(text);
  if (seen()) { window.__seenAt = Date.now(); resolve(); return; }
  new MutationObserver((_m, observer) => {
    if (seen()) { window.__seenAt = Date.now(); observer.disconnect(); }
  }).observe(document.body, {childList: true, subtree: true, characterData: true});
  resolve();
})"""


@pytest.fixture
def hall(tmp_path):
    return make_hall(tmp_path)


@pytest.fixture
def server(hall, tmp_path):
    server = start_server(hall[1], tmp_path)
    yield server
    server.stop()


def test_a_call_reaches_the_screen_and_the_phone_by_push(browser, hall, server, tmp_path):
    data, _database = hall
    first, _second, third = data["tickets"]
    screen_context = browser.new_context(locale="zh-CN", viewport={"width": 1920, "height": 1080})
    phone_context = browser.new_context(locale="zh-CN", **PHONE)
    try:
        screen = screen_context.new_page()
        screen.goto(f"{server.url}/zh-hans/queue/screen/{data['office_code']}/")
        mine = phone_context.new_page()
        mine.goto(f"{server.url}/zh-hans/queue/t/{first['token']}/")
        other = phone_context.new_page()
        other.goto(f"{server.url}/zh-hans/queue/t/{third['token']}/")
        for page, root in ((screen, "main"), (mine, ".follow"), (other, ".follow")):
            page.wait_for_selector(f'{root}[data-push-state="open"]', timeout=15_000)
        assert "2" in other.locator(".follow-big").inner_text()  # two people before A003

        asked: list[str] = []
        for page in (screen, mine, other):
            page.on("request", lambda r: asked.append(r.url))
        time.sleep(3)  # polling would have asked 3 times (screen) and once per phone by now
        assert asked == []

        screen.evaluate(WATCH, ["#live .called", first["display"]])
        assert console_post_sync(server.url, data["clerk"], data["counter_id"], "call-next") == 200
        answered = time.time()
        screen.wait_for_function("() => window.__seenAt", timeout=5_000)
        shown_after = screen.evaluate("() => window.__seenAt") / 1000 - answered
        assert shown_after < 0.5, f"the call showed {shown_after:.3f} s after the console's answer"
        # One fetch of the screen's live part, after the event: not a poll (none ran before).
        assert [u for u in asked if "/queue/screen/" in u] == [screen.url]

        mine.wait_for_selector("#ticket-status.follow-called", timeout=5_000)
        assert "请立即到" in mine.locator("#ticket-status").inner_text()
        # The other phone hears only that the queue moved, and shows its new place.
        other.wait_for_function(
            "() => document.querySelector('.follow-big').textContent.includes('1')",
            timeout=10_000,
        )
        screen.screenshot(path=str(tmp_path / "screen.png"))
        mine.screenshot(path=str(tmp_path / "ticket-called.png"), full_page=True)
        other.screenshot(path=str(tmp_path / "ticket-waiting.png"), full_page=True)
    finally:
        screen_context.close()
        phone_context.close()


def test_without_the_push_server_the_screen_polls(browser, hall, tmp_path):
    """Redis down: the stream answers 503, the screen keeps polling every second and shows
    the call."""
    from tests.processes import free_port

    data, database = hall
    server = start_server(database, tmp_path, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    context = browser.new_context(locale="zh-CN", viewport={"width": 1920, "height": 1080})
    try:
        screen = context.new_page()
        screen.goto(f"{server.url}/zh-hans/queue/screen/{data['office_code']}/")
        screen.wait_for_selector('main[data-push-state="polling"]', timeout=15_000)
        assert console_post_sync(server.url, data["clerk"], data["counter_id"], "call-next") == 200
        called = screen.locator("#live .called")
        called.wait_for(timeout=5_000)
        assert data["tickets"][0]["display"] in called.inner_text()
        assert screen.locator("main").get_attribute("data-push-state") == "polling"
    finally:
        context.close()
        server.stop()
