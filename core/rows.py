"""Plain SQL for the few statements on the busiest path (a booking, its audit entry, its outbox
row): the ORM spends several times the CPU of the statement it builds. Values go through the
models' own fields both ways (prepared for the database on insert, converted back on read), so
what lands and what comes back is what the ORM would write and read. No signals are sent: a
caller that inserts or updates a record somebody listens to does their work itself."""

from collections.abc import Sequence
from functools import cache
from typing import Any, TypeVar

from django.db import DatabaseError, connection, models
from django.db.models.expressions import Col
from django.db.models.options import Options


def _concrete(meta: Options, name: str) -> models.Field:
    field = meta.get_field(name)
    assert isinstance(field, models.Field)  # a column, not a reverse relation
    return field


def _column(meta: Options, name: str) -> str:
    column = _concrete(meta, name).column
    assert column is not None
    return column


M = TypeVar("M", bound=models.Model)

# Fields whose value goes to the database unchanged when it already has the field's Python type
# (their get_db_prep_save would only call str(), int() or bool() on it): row_insert passes such
# values as they are and prepares every other one through the field.
_AS_IS = {
    models.CharField: str,
    models.TextField: str,
    models.EmailField: str,
    models.SlugField: str,
    models.IntegerField: int,
    models.BigIntegerField: int,
    models.SmallIntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveSmallIntegerField: int,
    models.PositiveBigIntegerField: int,
    models.BooleanField: bool,
}


def _plain_type(field: models.Field) -> type | None:
    """The type whose values `field` stores unchanged, or None (prepared by the field)."""
    if type(field) is models.ForeignKey:
        return _plain_type(field.target_field) if field.target_field.primary_key else None
    if type(field) in (models.AutoField, models.BigAutoField):
        return int
    return _AS_IS.get(type(field))


@cache
def _insert_sql(model: type[models.Model], vendor: str, ignore_on: str) -> tuple[str, tuple]:
    quote = connection.ops.quote_name
    meta = model._meta
    fields = tuple(f for f in meta.concrete_fields if not f.primary_key)
    conflict = (
        f" ON CONFLICT ({quote(_column(meta, ignore_on))}) DO NOTHING" if ignore_on else ""
    )
    # Names from the model's own metadata, quoted by the backend; every value is a parameter.
    columns = ", ".join(quote(f.column or f.attname) for f in fields)
    params = ", ".join(["%s"] * len(fields))
    returning = quote(_column(meta, meta.pk.name))
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({params}){conflict} RETURNING {returning}"  # noqa: S608, E501
    # (field, attname, the type stored unchanged) for each column; a field with a pre_save of
    # its own (auto_now_add and the like) is always prepared by the field.
    plain = tuple(
        (f, f.attname, None if _own_pre_save(f) else _plain_type(f)) for f in fields
    )
    return sql, plain


def _own_pre_save(field: models.Field) -> bool:
    return type(field).pre_save is not models.Field.pre_save


def row_insert(obj: models.Model, *, ignore_conflict_on: str = "") -> bool:
    """Insert `obj` and set its primary key. With `ignore_conflict_on` (a unique field), a row
    already holding that value leaves the table as it was and False is returned."""
    sql, fields = _insert_sql(type(obj), connection.vendor, ignore_conflict_on)
    values = _insert_values(obj, fields)
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None:
        return False
    row_inserted(obj, row[0])
    return True


def rows_insert(
    *rows: tuple[models.Model, str], updates: Sequence[tuple[models.Model, Sequence[str]]] = ()
) -> list[bool]:
    """row_insert for several rows, `(obj, ignore_conflict_on)` each, in one statement on
    PostgreSQL (a CTE with one INSERT per row, each the statement row_insert runs) and one by one
    elsewhere. Returns, for each, whether it was inserted.

    `updates`: `(obj, field names)` pairs saved first, as `obj.save(update_fields=names)` saves
    them (row_update), in the same statement on PostgreSQL: one round trip less for an action
    that changes a row and records the change. DatabaseError if such a row is gone (as save()
    raises)."""
    if connection.vendor != "postgresql":
        for obj, names in updates:
            sql, params = row_update(obj, names)
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                if cursor.rowcount != 1:
                    raise DatabaseError("Save with update_fields did not affect any rows.")
        return [row_insert(obj, ignore_conflict_on=ignore_on) for obj, ignore_on in rows]
    steps, values = [], []
    for obj, names in updates:
        sql, params = row_update(obj, names)
        steps.append(f"{sql} RETURNING 1")
        values += params
    for obj, ignore_on in rows:
        sql, fields = _insert_sql(type(obj), connection.vendor, ignore_on)
        steps.append(sql)
        values += _insert_values(obj, fields)
    names = [f"u{n}" for n in range(len(updates))] + [f"r{n}" for n in range(len(rows))]
    # The project's own INSERT and UPDATE statements (names from the models' metadata); values
    # are parameters. Each UPDATE answers how many rows it changed, each INSERT its new key.
    with_ = ", ".join(f"{name} AS ({step})" for name, step in zip(names, steps, strict=True))
    answers = {"u": "(SELECT count(*) FROM {})", "r": "(SELECT * FROM {})"}
    select = ", ".join(answers[name[0]].format(name) for name in names)
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {with_} SELECT {select}", values)  # noqa: S608
        found = cursor.fetchone()
    if any(count != 1 for count in found[: len(updates)]):
        raise DatabaseError("Save with update_fields did not affect any rows.")
    inserted = []
    for (obj, _ignore_on), pk in zip(rows, found[len(updates) :], strict=True):
        if pk is not None:
            row_inserted(obj, pk)
        inserted.append(pk is not None)
    return inserted


@cache
def _update_sql(
    model: type[models.Model], vendor: str, names: tuple[str, ...]
) -> tuple[str, tuple]:
    quote = connection.ops.quote_name
    meta = model._meta
    fields = tuple(_concrete(meta, name) for name in names)
    assigns = ", ".join(f"{quote(field.column or field.attname)} = %s" for field in fields)
    key = quote(_column(meta, meta.pk.name))
    # Names from the model's own metadata, quoted by the backend; every value is a parameter.
    sql = f"UPDATE {quote(meta.db_table)} SET {assigns} WHERE {key} = %s"  # noqa: S608
    return sql, fields


def row_update(obj: models.Model, names: Sequence[str]) -> tuple[str, list]:
    """The statement `obj.save(update_fields=names)` runs (`UPDATE <table> SET … WHERE <pk> =
    …`) and its parameters: each value prepared by its field as save() prepares it (an
    auto_now field among `names` takes the time now). No signals. For rows_insert's `updates`
    or to run on its own."""
    sql, fields = _update_sql(type(obj), connection.vendor, tuple(names))
    params = [field.get_db_prep_save(field.pre_save(obj, False), connection) for field in fields]
    return sql, [*params, obj.pk]


def _insert_values(obj: models.Model, fields: tuple) -> list:
    values = []
    for field, attname, plain in fields:
        value = getattr(obj, attname)
        if plain is None or (type(value) is not plain and (value is not None or not field.null)):
            value = field.get_db_prep_save(field.pre_save(obj, True), connection)
        values.append(value)
    return values


@cache
def _insert_select_sql(model: type[models.Model], vendor: str) -> tuple[str, str, str]:
    sql, _fields = _insert_sql(model, vendor, "")
    quote = connection.ops.quote_name
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    columns = ", ".join(quote(_column(meta, f.name)) for f in fields)
    # Typed: in a SELECT list an untyped literal would be text.
    casts = ", ".join(f"CAST(%s AS {f.cast_db_type(connection)})" for f in fields)
    return quote(meta.db_table), columns, casts


def row_insert_select(obj: models.Model, source: str) -> tuple[str, list]:
    """The statement `INSERT INTO <obj's table> (…) SELECT <obj's values> FROM <source>
    RETURNING id` and its parameters, for a CTE (PostgreSQL): the row is inserted once for
    each row of `source`, with the values row_insert would write. Set obj.pk from what it
    returns."""
    sql, fields = _insert_sql(type(obj), connection.vendor, "")
    table, columns, casts = _insert_select_sql(type(obj), connection.vendor)
    returning = connection.ops.quote_name(_column(obj._meta, obj._meta.pk.name))
    # Names from the model's metadata and the caller's own CTE name; values are parameters.
    statement = f"INSERT INTO {table} ({columns}) SELECT {casts} FROM {source} RETURNING {returning}"  # noqa: S608, E501
    return statement, _insert_values(obj, fields)


def row_inserted(obj: models.Model, pk: Any) -> None:
    """Mark `obj` as saved with the primary key a statement returned for it."""
    obj.pk = pk
    obj._state.adding, obj._state.db = False, connection.alias


# --- reading: one joined row into model instances ----------------------------------------------


@cache
def _converters(field: models.Field, vendor: str) -> tuple[Col, tuple]:
    """The column of `field` and the functions the ORM runs on a value read from it."""
    column = Col(field.model._meta.db_table, field)
    found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
    return column, tuple(found)


@cache
def _reader(model: type[models.Model], vendor: str) -> tuple[tuple, tuple]:
    fields = tuple(model._meta.concrete_fields)
    return fields, tuple(_converters(field, vendor) for field in fields)


def value_from_db(field: models.Field, value: Any) -> Any:
    """One value read by plain SQL from `field`'s column, converted as the ORM would (SQLite's
    text dates become aware datetimes, and so on)."""
    column, functions = _converters(field, connection.vendor)
    for function in functions:
        value = function(value, column, connection)
    return value


def row_columns(model: type[models.Model], alias: str) -> str:
    """The select list of every column of `model`, in the order `row_model` reads them."""
    return _row_columns(model, alias, connection.vendor)


@cache
def _row_columns(model: type[models.Model], alias: str, vendor: str) -> str:
    quote = connection.ops.quote_name
    fields, _converters = _reader(model, vendor)
    return ", ".join(f"{alias}.{quote(f.column)}" for f in fields)


def row_width(model: type[models.Model]) -> int:
    return len(_reader(model, connection.vendor)[0])


def row_model(model: type[M], values: Sequence[Any]) -> M:
    """An instance from the values of `row_columns(model, …)`, converted as the ORM would."""
    fields, converters = _reader(model, connection.vendor)
    converted = []
    for value, (column, functions) in zip(values, converters, strict=True):
        for function in functions:
            value = function(value, column, connection)
        converted.append(value)
    return model.from_db(connection.alias, [f.attname for f in fields], converted)


def rows_where(model: type[M], **equals: Any) -> list[M]:
    """`model.objects.filter(**equals)` for plain column equalities, in one plain statement."""
    quote = connection.ops.quote_name
    meta = model._meta
    names = sorted(equals)
    where = " AND ".join(f"t.{quote(_column(meta, n))} = %s" for n in names)
    sql = f"SELECT {row_columns(model, 't')} FROM {quote(meta.db_table)} t WHERE {where}"  # noqa: S608
    params = [_concrete(meta, n).get_db_prep_value(equals[n], connection) for n in names]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row_model(model, row) for row in cursor.fetchall()]
