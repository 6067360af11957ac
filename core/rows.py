"""One INSERT of one model instance in plain SQL, for the few writes on the busiest path (an
audit entry, an outbox row): the ORM's insert costs several times the CPU of the statement it
builds. Values are prepared by the model's own fields, so what lands is what `save()` would
write. No signals are sent: only for models that nothing listens to."""

from functools import cache

from django.db import connection, models


@cache
def _insert_sql(model: type[models.Model], vendor: str, ignore_on: str) -> tuple[str, tuple]:
    quote = connection.ops.quote_name
    meta = model._meta
    fields = tuple(f for f in meta.concrete_fields if not f.primary_key)
    conflict = (
        f" ON CONFLICT ({quote(meta.get_field(ignore_on).column)}) DO NOTHING" if ignore_on else ""
    )
    # Names from the model's own metadata, quoted by the backend; every value is a parameter.
    columns = ", ".join(quote(f.column) for f in fields)
    params = ", ".join(["%s"] * len(fields))
    returning = quote(meta.pk.column)
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({params}){conflict} RETURNING {returning}"  # noqa: S608, E501
    return sql, fields


def row_insert(obj: models.Model, *, ignore_conflict_on: str = "") -> bool:
    """Insert `obj` and set its primary key. With `ignore_conflict_on` (a unique field), a row
    already holding that value leaves the table as it was and False is returned."""
    sql, fields = _insert_sql(type(obj), connection.vendor, ignore_conflict_on)
    values = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None:
        return False
    obj.pk = row[0]
    obj._state.adding, obj._state.db = False, connection.alias
    return True
