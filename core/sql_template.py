"""A queryset's SQL compiled once per process, run many times with new parameters.

Building and compiling a queryset with annotations, subqueries and a row lock costs more CPU
than PostgreSQL spends running it: the counter console's "call next" built the queue order
(THE queue rule, `queues.selectors.waiting_order`) on every key press. `SqlTemplate` keeps the
ORM as the one definition of the query and compiles it once per shape: `build` is called with
marker values (distinct negative integers, dates in 1901, datetimes in 1901) in place of the
real parameters, and the position of each marker in the compiled parameters is remembered.
Later calls only put the real values in those positions.

The template checks itself: if a marker does not come out unchanged in the compiled
parameters (a backend that converts dates to strings, as SQLite's does; a parameter that is
transformed on the way), or a marker's value is also a constant of the query, the template
is not used and `rows` returns None (the caller runs the queryset itself). Django has no
public API for this (prepared statements are psycopg's, below the ORM); hand-written here.
"""

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any, cast

from django.db import connections
from django.db.models import QuerySet

_MISSING = object()


def _marker(index: int, value: Any) -> Any:
    if isinstance(value, bool):
        raise TypeError("a boolean is a shape, not a parameter")
    if isinstance(value, int):
        return -918_273_000 - index
    if isinstance(value, dt.datetime):
        return dt.datetime(1901, 1, 1, tzinfo=dt.UTC) + dt.timedelta(hours=index, seconds=7)
    if isinstance(value, dt.date):
        return dt.date(1901, 3, 1) + dt.timedelta(days=index)
    raise TypeError(f"no marker for {type(value).__name__}")


class SqlTemplate:
    """`build(**shape, **params) -> QuerySet`; `wrap` puts the compiled SELECT inside another
    statement (`"SELECT COUNT(*) FROM ({}) AS rows"`)."""

    def __init__(self, build: Callable[..., QuerySet], *, wrap: str = "{}") -> None:
        self.build, self.wrap = build, wrap
        self._compiled: dict[tuple, tuple[str, list] | None] = {}
        self._lock = threading.Lock()

    def _compile(self, alias: str, shape: dict, params: dict) -> tuple[str, list] | None:
        markers = {name: _marker(i, value) for i, (name, value) in enumerate(params.items())}
        queryset = self.build(**shape, **markers)
        sql, compiled = queryset.query.get_compiler(alias).as_sql()
        slots: list = []
        seen = set()
        for value in compiled:
            name = next(
                (n for n, m in markers.items() if type(value) is type(m) and value == m), None
            )
            slots.append(("param", name) if name else ("const", value))
            seen.add(name)
        if seen.issuperset(markers):
            return self.wrap.format(sql), slots
        return None  # a marker did not survive compilation: not usable on this backend

    def rows(self, *, using: str = "default", shape: dict, params: dict) -> list[tuple] | None:
        """The rows of the query for these values, or None when the template cannot be used
        (run the queryset instead)."""
        connection = connections[using]
        key = (connection.vendor, using, tuple(sorted(shape.items())))
        found = self._compiled.get(key, _MISSING)
        if found is _MISSING:
            with self._lock:
                found = self._compiled[key] = self._compile(using, shape, params)
        if found is None:
            return None
        sql, slots = cast(tuple[str, list], found)  # neither _MISSING nor None by now
        values = [params[v] if kind == "param" else v for kind, v in slots]
        with connection.cursor() as cursor:
            cursor.execute(sql, values)
            return cursor.fetchall()
