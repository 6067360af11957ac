"""The database health check of core/postgresql: a connection the server ended is found and
replaced before a request's first query; a live idle one is used without asking `SELECT 1`."""

import time

import psycopg
import pytest
from django.db import connection

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's backend"),
]


def _server_ends(pid: int) -> None:
    params = connection.get_connection_params()
    with psycopg.connect(**{**params, "autocommit": True}) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    time.sleep(0.2)  # the server's goodbye reaches the socket


def _asked(monkeypatch) -> list[str]:
    """The statements the health check sends through the driver's connection."""
    sent: list[str] = []
    real = connection.connection.cursor

    def cursor(*args, **kwargs):
        sent.append("cursor")
        return real(*args, **kwargs)

    monkeypatch.setattr(connection.connection, "cursor", cursor)
    return sent


def test_a_live_idle_connection_is_usable_without_a_round_trip(monkeypatch):
    connection.ensure_connection()
    sent = _asked(monkeypatch)
    assert connection.is_usable()
    assert sent == []


def test_a_connection_the_server_ended_is_replaced_before_the_next_query():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    _server_ends(pid)
    assert not connection.is_usable()
    connection.health_check_done = False  # a new request begins
    with connection.cursor() as cursor:  # the check closes it; the query reconnects
        cursor.execute("SELECT pg_backend_pid()")
        (new_pid,) = cursor.fetchone()
    assert new_pid != pid
