"""core.redis: one pooled client per Redis URL for the process (the health check, the waiting
room and the push publisher), each failing fast on a Redis that does not answer."""

import socket
import time

import pytest
from django.test import override_settings

from core import health, push, waiting_room
from core.redis import client_for


def test_one_client_per_url_and_timeout_shared_by_its_users():
    url, other = "redis://127.0.0.1:2/0", "redis://127.0.0.1:2/1"
    assert client_for(url) is client_for(url)
    assert client_for(other) is not client_for(url)
    assert client_for(url, timeout=0.5) is not client_for(url)
    # The readiness check and the waiting room use the same one (one pool, not two).
    assert health._redis(url) is waiting_room.redis_client(url) is client_for(url)
    with override_settings(PUSH_REDIS_URL=other):
        assert push._redis() is client_for(other, timeout=push.TIMEOUT, health_check_interval=30)


@pytest.mark.parametrize("timeout", [0.3, 1.0])
def test_a_redis_that_accepts_and_never_answers_fails_within_the_timeout(timeout):
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never replies
        url = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
        started = time.monotonic()
        with pytest.raises(Exception, match="(?i)timeout|timed out"):
            client_for(url, timeout=timeout).ping()
        assert time.monotonic() - started < timeout + 0.5
