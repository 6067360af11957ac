"""Counters: open, pause, close."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from queues import selectors, streams
from queues.actions._common import _counter_state
from queues.errors import (
    CounterBusy,
)
from queues.models import CounterState
from services.models import Counter


@transaction.atomic
def counter_open(*, counter: Counter, clerk: User) -> CounterState:
    state = _counter_state(counter)
    state.clerk, state.is_open, state.is_paused = clerk, True, False
    state.save()
    _counter_changed(counter, "opened")
    return state


@transaction.atomic
def counter_pause(*, counter: Counter, clerk: User, paused: bool) -> CounterState:
    state = _counter_state(counter)
    state.is_paused = paused
    state.save(update_fields=["is_paused", "changed_at"])
    _counter_changed(counter, "paused" if paused else "resumed")
    return state


@transaction.atomic
def counter_close(*, counter: Counter, clerk: User, now: dt.datetime | None = None) -> CounterState:
    """Close for the day; a ticket still called or served there today would be stranded."""
    if selectors.counter_is_busy(counter, day=timezone.localdate(now or timezone.now())):
        raise CounterBusy()
    state = _counter_state(counter)
    state.is_open, state.is_paused, state.clerk = False, False, None
    state.save()
    _counter_changed(counter, "closed")
    return state


def _counter_changed(counter: Counter, kind: str) -> None:
    streams.queue_changed(office_id=counter.office_id, kind=kind, counter_id=counter.pk)
