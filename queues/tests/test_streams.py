"""Pushed updates against a real push server (queues/tests/push_server.py): a clerk's call
reaches the screen, the boards, the manager and the ticket's own page; staff streams need the
second factor and the office; a ticket's stream tells nothing about other tickets; without
Redis the call still succeeds and the pages poll."""

import asyncio
import concurrent.futures
import contextlib
import logging
import socket
import threading

import aiohttp
import pytest
from django.db import transaction

from tests.processes import free_port

from .push_server import (
    ON_POSTGRES,
    REDIS_URL,
    Stream,
    answers,
    console_post,
    make_hall,
    start_server,
)

# The server reads committed rows of the test database (PostgreSQL; SQLite: a file of its own).
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def hall(tmp_path):
    return make_hall(tmp_path)


@pytest.fixture
def server(hall, tmp_path):
    server = start_server(hall[1], tmp_path)
    yield server
    server.stop()


def run(coroutine):
    """asyncio.run in a thread of its own: the browser tests' Playwright (sync API) may hold an
    event loop in this thread when the whole suite runs in one process."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_a_call_at_the_console_reaches_every_stream_of_the_office_and_the_ticket_page(hall, server):
    data, _database = hall
    first, _second, third = data["tickets"]

    async def scenario():
        async with aiohttp.ClientSession() as s:
            base = f"{server.url}/push"
            screen = await Stream(s, f"{base}/screen/{data['office_code']}/").open()
            board = await Stream(s, f"{base}/counter/{data['counter_id']}/",
                                 {"sessionid": data["clerk"]}).open()  # fmt: skip
            live = await Stream(s, f"{base}/office/{data['office_id']}/",
                                {"sessionid": data["manager"]}).open()  # fmt: skip
            mine = await Stream(s, f"{base}/ticket/{first['token']}/").open()
            other = await Stream(s, f"{base}/ticket/{third['token']}/").open()
            assert [x.status for x in (screen, board, live, mine, other)] == [200] * 5
            status, _at = await console_post(server.url, data["clerk"], data["counter_id"],
                                             "call-next")  # fmt: skip
            assert status == 200
            got = [await x.next() for x in (screen, board, live, mine, other)]
            # The clerk's own page refreshes its current ticket ("here"), the others the queue.
            assert [g[:2] for g in got] == [
                ("queue", "called"), ("here", "called"), ("queue", "called"),
                ("ticket", "called"), ("queue", ""),
            ]  # fmt: skip
            # A third ticket's phone learns that the queue moved, nothing about the ticket called.
            assert first["display"].encode() not in other.raw and b"called" not in other.raw
            assert str(first["id"]).encode() not in other.raw.replace(b"retry: 2000", b"")
            async with s.get(f"{server.url}/zh-hans/queue/t/{first['token']}/",
                             headers={"HX-Request": "true"}) as page:  # fmt: skip
                assert "follow-called" in await page.text()  # what the nudged page fetches
            for x in (screen, board, live, mine, other):
                await x.close()

    run(scenario())


def test_staff_streams_need_the_second_factor_and_the_office(hall, server):
    data, _database = hall
    base = f"{server.url}/push"
    cases = [
        (f"{base}/counter/{data['counter_id']}/", None, 403),  # not signed in
        (f"{base}/counter/{data['counter_id']}/", data["stranger"], 403),  # another office
        (f"{base}/office/{data['office_id']}/", None, 403),
        (f"{base}/office/{data['office_id']}/", data["stranger_manager"], 403),
        (f"{base}/office/{data['office_id']}/", data["clerk"], 403),  # no live-view role
        (f"{base}/office/{data['other_office_id']}/", data["manager"], 403),
        (f"{base}/counter/{data['counter_id']}/", data["clerk"], 200),
        (f"{base}/office/{data['office_id']}/", data["manager"], 200),
        (f"{base}/screen/no-such-office/", None, 404),
        (f"{base}/ticket/no-such-token/", None, 404),
    ]

    async def scenario():
        async with aiohttp.ClientSession() as s:
            found = []
            for url, session_key, _expected in cases:
                cookies = {"sessionid": session_key} if session_key else None
                stream = await Stream(s, url, cookies).open()
                found.append(stream.status)
                await stream.close()
            async with s.post(f"{base}/screen/{data['office_code']}/") as response:
                found.append(response.status)
            return found

    assert run(scenario()) == [expected for *_rest, expected in cases] + [405]


def test_without_redis_the_call_succeeds_and_the_pages_poll(hall, tmp_path):
    """The push server's Redis does not answer: its streams answer 503 (the page keeps
    polling), the clerk's call goes through, and the ticket page shows it."""
    data, database = hall
    dead = f"redis://127.0.0.1:{free_port()}/0"
    server = start_server(database, tmp_path, redis_url=dead)
    first = data["tickets"][0]
    try:

        async def scenario():
            async with aiohttp.ClientSession() as s:
                screen = await Stream(s, f"{server.url}/push/screen/{data['office_code']}/").open()
                status, _at = await console_post(server.url, data["clerk"], data["counter_id"],
                                                 "call-next")  # fmt: skip
                async with s.get(f"{server.url}/zh-hans/queue/t/{first['token']}/",
                                 headers={"HX-Request": "true"}) as page:  # fmt: skip
                    return screen.status, status, await page.text()

        stream_status, call_status, page = run(scenario())
        assert (stream_status, call_status) == (503, 200)
        assert "follow-called" in page  # the poll shows the call
        assert "could not publish" in server.log.read_text()
    finally:
        server.stop()


def test_a_dead_redis_never_breaks_the_action_that_publishes(settings, caplog):
    """In the publishing process (gunicorn, a worker): the action commits, a warning is logged,
    and only after the commit."""
    from core import push
    from queues import actions
    from queues.tests.queue_setup import new_service, office_with

    settings.PUSH_REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    push._paused_until = 0.0
    service = new_service()
    office, [counter] = office_with(service)
    ticket = actions.ticket_take_walk_in(office=office, service=service)
    actions.counter_open(counter=counter, clerk=None)  # its own publish fails: pause
    push._paused_until = 0.0
    caplog.clear()
    with (
        caplog.at_level(logging.WARNING, logger="core.push"),
        transaction.atomic(),
    ):
        called = actions.ticket_call_next(counter=counter, clerk=None)
        assert "could not publish" not in caplog.text  # nothing before the commit
    assert "could not publish" in caplog.text
    ticket.refresh_from_db()
    assert (called.pk, ticket.status) == (ticket.pk, "called")
    push._paused_until = 0.0


class TcpRelay:
    """A relay to Redis that the test can cut, as a Redis that dies under open streams."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.cut = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.cut:
            try:
                client, _addr = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a, b):
        try:
            while chunk := a.recv(65536):
                b.sendall(chunk)
        except OSError:
            pass

    def kill(self):
        self.cut = True
        self.listener.close()
        for s in self.sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()


@pytest.mark.skipif(not (ON_POSTGRES and REDIS_URL), reason="needs PostgreSQL and REDIS_URL")
def test_streams_end_when_redis_dies_so_that_pages_go_back_to_polling(hall, tmp_path):
    from urllib.parse import urlsplit

    data, database = hall
    target = urlsplit(REDIS_URL)
    relay = TcpRelay((target.hostname, target.port or 6379))
    server = start_server(database, tmp_path, redis_url=f"redis://127.0.0.1:{relay.port}/0")
    try:

        async def scenario():
            async with aiohttp.ClientSession() as s:
                url = f"{server.url}/push/screen/{data['office_code']}/"
                stream = await Stream(s, url).open()
                assert stream.status == 200
                relay.kill()
                await asyncio.wait_for(stream.ended.wait(), 10)  # the watchdog ended it
                again = await Stream(s, url).open()
                status, _at = await console_post(server.url, data["clerk"], data["counter_id"],
                                                 "call-next")  # fmt: skip
                return again.status, status

        assert run(scenario()) == (503, 200)
        assert answers(f"{server.url}/healthz")
    finally:
        server.stop()
        relay.kill()


@pytest.mark.skipif(not REDIS_URL, reason="needs REDIS_URL (a Redis to listen to)")
def test_a_call_is_published_once_after_its_commit_and_a_rolled_back_one_never(settings):
    import redis
    from channels.layers import get_channel_layer

    from core import push
    from queues import actions
    from queues.streams import office_group
    from queues.tests.queue_setup import new_service, office_with

    settings.PUSH_REDIS_URL = REDIS_URL
    settings.PUSH_PREFIX = f"pushtest-{free_port()}"
    settings.CHANNEL_LAYERS = {"default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL], "prefix": settings.PUSH_PREFIX},
    }}  # fmt: skip
    push._paused_until = 0.0
    service = new_service()
    office, [counter] = office_with(service)
    for _ in range(2):
        actions.ticket_take_walk_in(office=office, service=service)
    actions.counter_open(counter=counter, clerk=None)
    listener = redis.Redis.from_url(REDIS_URL).pubsub(ignore_subscribe_messages=True)
    listener.subscribe(push.group_channel_name(office_group(office.pk)))
    listener.get_message(timeout=1)  # the subscription's confirmation

    class Undo(Exception):
        pass

    with contextlib.suppress(Undo), transaction.atomic():
        actions.ticket_call_next(counter=counter, clerk=None)
        raise Undo  # the call is rolled back: nobody may hear of it
    assert listener.get_message(timeout=0.5) is None
    with transaction.atomic():
        called = actions.ticket_call_next(counter=counter, clerk=None)
        assert listener.get_message(timeout=0.3) is None  # not before the commit
    message = get_channel_layer().deserialize(listener.get_message(timeout=2)["data"])
    assert message == {"type": "push.event", "event": "queue", "kind": "called",
                       "ticket": called.pk, "counter": counter.pk}  # fmt: skip
    assert listener.get_message(timeout=0.3) is None  # once
    listener.close()
