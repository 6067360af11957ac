"""Whole minutes between two timestamps, computed in the database (PostgreSQL and SQLite), so
the histograms are grouped there and no visit is looped over in Python."""

from django.db.models import Func, IntegerField


class MinutesBetween(Func):
    """floor((end - start) in minutes) for MinutesBetween(start, end); NULL if either is NULL.
    A negative span (a clock put back) comes out negative; the caller counts it as 0."""

    output_field = IntegerField()
    arity = 2

    def _parts(self, compiler):
        start_sql, start_params = compiler.compile(self.source_expressions[0])
        end_sql, end_params = compiler.compile(self.source_expressions[1])
        return start_sql, tuple(start_params), end_sql, tuple(end_params)

    def as_sql(self, compiler, connection, **extra_context):  # PostgreSQL
        start_sql, start_params, end_sql, end_params = self._parts(compiler)
        sql = f"FLOOR(EXTRACT(EPOCH FROM ({end_sql} - {start_sql})) / 60)::integer"
        return sql, (*end_params, *start_params)

    def as_sqlite(self, compiler, connection, **extra_context):
        start_sql, start_params, end_sql, end_params = self._parts(compiler)
        # Whole seconds first (julianday is a float), then integer division: no 4.9999 minutes.
        days = f"(julianday({end_sql}) - julianday({start_sql}))"
        sql = f"(CAST(ROUND({days} * 86400) AS INTEGER) / 60)"
        return sql, (*end_params, *start_params)
