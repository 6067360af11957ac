"""SqlTemplate: a queryset compiled once, run with new values, the same rows as the ORM's; or
None (the caller runs the queryset) when a value does not come out of compilation unchanged."""

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from core.models import OutboxMessage
from core.sql_template import SqlTemplate

pytestmark = pytest.mark.django_db


def _by_id(*, above: int, below: int, reverse: bool):
    rows = ContentType.objects.filter(pk__gt=above, pk__lt=below)
    return rows.order_by("-pk" if reverse else "pk").values_list("pk", "model")


def test_the_rows_are_those_of_the_queryset_for_every_value():
    template = SqlTemplate(_by_id)
    last = ContentType.objects.order_by("-pk").first().pk
    for above, below in [(0, 5), (3, last), (last, last + 10), (2, 3)]:
        for reverse in (False, True):
            shape, params = {"reverse": reverse}, {"above": above, "below": below}
            expected = list(_by_id(**shape, **params))
            assert template.rows(shape=shape, params=params) == [tuple(r) for r in expected]


def test_a_count_wrapped_around_the_query():
    template = SqlTemplate(
        lambda **values: _by_id(**values).order_by(), wrap="SELECT COUNT(*) FROM ({}) AS c"
    )
    shape, params = {"reverse": False}, {"above": 1, "below": 6}
    assert template.rows(shape=shape, params=params) == [(_by_id(**shape, **params).count(),)]


def test_a_value_the_backend_converts_makes_the_caller_run_the_queryset():
    # SQLite's backend turns datetimes into strings while compiling; PostgreSQL's keeps them.
    template = SqlTemplate(
        lambda *, since: OutboxMessage.objects.filter(available_at__lte=since).values_list("pk")
    )
    rows = template.rows(shape={}, params={"since": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)})
    if connection.vendor == "postgresql":
        assert rows == []
    else:
        assert rows is None
