"""Inserting many rows fast: what bulk_create does, in one executemany.

For a 100,000-person feed, bulk_create spends most of its time assembling SQL value by value.
"""

import contextlib
import operator
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from django.db import connections, models, transaction
from django.db.models import signals
from django.db.models.base import ModelState

M = TypeVar("M", bound=models.Model)
_PLAIN = frozenset({str, int, bool, type(None)})


def insert(objects: Sequence[models.Model], *, using: str = "default") -> None:
    """Insert unsaved model instances (primary keys are not read back)."""
    if not objects:
        return
    meta = type(objects[0])._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    connection = connections[using]
    # Column by column, in C where it can be: attrgetter reads a row's values, zip(*) turns rows
    # into columns and back, and a column of plain values is left as it is. Value by value in
    # Python, this took 2 s of a 100,000-person import.
    names = [field.attname for field in fields]
    read = operator.attrgetter(*names) if len(names) > 1 else lambda o: (getattr(o, names[0]),)
    columns = [
        _column(field, values, connection)
        for field, values in zip(fields, zip(*map(read, objects), strict=True), strict=True)
    ]
    insert_rows(
        meta.db_table,
        [f.column for f in fields if f.column],
        list(zip(*columns, strict=True)),
        using=using,
    )
    saved(objects, using=using)


def saved(instances: Iterable[models.Model | None], *, using: str) -> None:
    """Instances a statement of ours wrote, left as the ORM leaves what it saves: no longer
    being added, and in `using`. (None is skipped: an optional row not written.)"""
    for instance in instances:
        if instance is not None:
            instance._state.adding, instance._state.db = False, using


class _Prepared(dict[Any, Any]):
    """A column's values ready for the database, each distinct one converted once."""

    def __init__(self, field: Any, connection: Any) -> None:
        super().__init__()
        self.field, self.connection = field, connection

    def __missing__(self, key: tuple[type, Any]) -> Any:
        kind, raw = key  # keyed by type too: True == 1 and Decimal("1") == 1
        ready = raw if kind in _PLAIN else self.field.get_db_prep_save(raw, self.connection)
        self[key] = ready
        return ready


def _column(field: Any, values: tuple[Any, ...], connection: Any) -> Sequence[Any]:
    # Text, numbers, booleans and NULL go to either database as they are (the field would
    # return them unchanged); dates, times and JSON need the field's conversion, and a feed
    # repeats its dates, so each is converted once.
    if set(map(type, values)) <= _PLAIN:
        return values
    try:
        return list(
            map(
                _Prepared(field, connection).__getitem__,
                zip(map(type, values), values, strict=True),
            )
        )
    except TypeError:  # unhashable (JSON)
        return [
            raw if type(raw) in _PLAIN else field.get_db_prep_save(raw, connection)
            for raw in values
        ]


def insert_rows(
    table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], *, using: str = "default"
) -> None:
    """Insert rows of database-ready values into a model's table."""
    if not rows:
        return
    connection = connections[using]
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in columns)
    marks = ", ".join(["%s"] * len(columns))
    # Only a model's own table and column names are interpolated; the values are parameters.
    sql = f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})"  # noqa: S608 # nosec B608
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def builder(model: type[M], *names: str, **fixed: Any) -> Callable[..., M]:
    """A maker of unsaved instances from the values of `names`, in that order, with `fixed`
    values and each other field's default: what Model(**values) makes, without its keyword
    handling, five to eight times faster for a feed's 100,000 rows."""
    fields = model._meta.concrete_fields
    attnames = [field.attname for field in fields]
    if unknown := (set(names) | set(fixed)) - set(attnames):
        raise TypeError(f"{model.__name__} has no field {', '.join(sorted(unknown))}")
    template: list[Any] = []
    calls: list[tuple[int, Callable[[], Any]]] = []  # defaults drawn per instance (timestamps)
    for index, field in enumerate(fields):
        if field.attname in fixed:
            template.append(fixed[field.attname])
        elif field.attname in names:
            template.append(None)
        elif field.has_default() and callable(field.default):
            template.append(None)
            calls.append((index, field.get_default))
        else:
            template.append(field.get_default())
    slots = [attnames.index(name) for name in names]
    # With no receiver of pre_init or post_init for the model (checked now: receivers connect as
    # the apps load), an instance is what unpickling makes: the values in its __dict__ and a
    # fresh state, three times faster than Model.__init__, which sets them one by one.
    signalled = signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model)

    def build(*values: Any) -> M:
        row = template.copy()
        for slot, value in zip(slots, values, strict=True):
            row[slot] = value
        for slot, default in calls:
            row[slot] = default()
        if signalled:
            return model(*row)
        instance = model.__new__(model)
        instance.__dict__.update(zip(attnames, row, strict=True))
        instance._state = ModelState()
        return instance

    return build


def insert_statement(instance: models.Model, *, using: str = "default") -> tuple[str, list[Any]]:
    """One unsaved instance's INSERT, as SQL and parameters, to run alone or as a part of one
    statement of several writes (PostgreSQL's WITH): what save() would send, without the ORM
    compiling it. A primary key the database draws is not read back."""
    meta = instance._meta
    connection = connections[using]
    fields = [
        field
        for field in meta.concrete_fields
        if not (field.primary_key and getattr(instance, field.attname) is None)
    ]
    quote = connection.ops.quote_name
    names = ", ".join(quote(str(field.column)) for field in fields)
    marks = ", ".join(["%s"] * len(fields))
    params = [
        field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields
    ]
    # Only a model's own table and column names are interpolated; the values are parameters.
    sql = f"INSERT INTO {quote(meta.db_table)} ({names}) VALUES ({marks})"  # noqa: S608 # nosec B608
    return sql, params


def insert_one(instance: M, *, using: str = "default") -> M:
    """Save one new instance as save() would, without the ORM compiling its INSERT each time
    (0.19 ms of a worker's CPU on PostgreSQL, 0.09 ms this way): insert_statement's SQL, and the
    primary key the database draws read back (RETURNING, on both databases). No pre_save or
    post_save signal is sent: for models nothing listens to (a token, a chain)."""
    sql, params = insert_statement(instance, using=using)
    pk: Any = instance._meta.pk  # every concrete model has one
    connection = connections[using]
    with connection.cursor() as cursor:
        if getattr(instance, pk.attname) is None:
            cursor.execute(f"{sql} RETURNING {connection.ops.quote_name(pk.column)}", params)
            setattr(instance, pk.attname, cursor.fetchone()[0])
        else:
            cursor.execute(sql, params)
    saved([instance], using=using)
    return instance


def write_together(
    writes: Sequence[tuple[str, list[Any]]], *, using: str = "default", atomic_on_sqlite: bool
) -> None:
    """Writes (SQL and parameters, as insert_statement makes them) in one round trip where the
    database allows: on PostgreSQL one statement, a WITH whose parts are all the writes but the
    last (PostgreSQL runs every data-modifying part), which succeeds or fails as a whole without
    a BEGIN and a COMMIT of its own; on SQLite the statements one after the other, in the
    caller's transaction (`atomic_on_sqlite` opens one)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            *parts, (last, params) = writes
            clauses = ", ".join(f'"w{n}" AS ({sql})' for n, (sql, _) in enumerate(parts))
            values = [value for _, part in parts for value in part]
            cursor.execute(f"WITH {clauses} {last}" if parts else last, [*values, *params])
            return
        with transaction.atomic(using=using) if atomic_on_sqlite else contextlib.nullcontext():
            for sql, params in writes:
                cursor.execute(sql, params)


# A bulk change of at least this many rows refreshes its tables' statistics at once.
REFRESH_AFTER = 500


def refresh_statistics(*tables: type[models.Model], using: str = "default") -> None:
    """The planner's statistics of these models' tables (ANALYZE, on either database), after a
    bulk change: until autovacuum's next pass, a minute or more later, PostgreSQL takes a table
    just filled for empty and plans for that. A new intake's Sésames, all issued at once, made
    each activation's check and spending of its Sésame walk all of them (3.3 ms and 0.8 ms of the
    database's CPU for 3,000, where index lookups take 0.06)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        for model in tables:
            # Only a model's own table name is interpolated.
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
