"""Fixtures of core's tests."""

import os
import uuid

import pytest

from core import waiting_room

# The waiting room's tests need one (core/tests/test_waiting_room.py `needs_redis`).
REDIS_URL = os.environ.get("REDIS_URL", "")


@pytest.fixture
def room(settings):
    """The room on, on a clean line in the test's Redis database; returns its settings."""
    settings.WAITING_ROOM = {
        **settings.WAITING_ROOM,
        "MODE": "on",
        "REDIS_URL": REDIS_URL,
        "RATE": 1000.0,
        "MIN_RATE": 0.001,
        "ADMISSION_SECONDS": 600,
        # A line of its own: tests on other workers share the Redis database.
        "KEY_PREFIX": f"onewindow:wr:test-{uuid.uuid4().hex}:",
    }
    waiting_room.meter.reset()
    waiting_room.room_reset(REDIS_URL)
    yield settings.WAITING_ROOM
    waiting_room.room_reset(REDIS_URL)
    waiting_room.meter.reset()
