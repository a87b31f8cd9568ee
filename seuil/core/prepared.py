"""Hot reads whose SQL is compiled once per process, then run with each request's values.

The ORM compiles a query's SQL on every evaluation. For the wide joined SELECTs of the hot paths
(the signed-in account with its person on every page, an OpenID Connect client with its service,
a code's grant, an access token, the CAS registrations of a host) that compilation is most of
the read's CPU: cProfile of 300 userinfo requests put 74 % of the view in the token's read, most
of it in `as_sql` and `get_select`, not in the database. A `PreparedRead` builds its QuerySet
once per database alias with sample values, keeps the compiler that compiled it, and for each
call hands Django's own model iterable that compiler with the same SQL and the call's values:
the instances, the `select_related` objects, the annotations and the database's converters are
the ORM's. On PostgreSQL the same SQL each time is also what lets psycopg prepare the statement
(SEUIL_DATABASE_PREPARE_AFTER), so that the database plans it once per connection.

It leans on four things Django does not document: a Query's `get_compiler`, a compiler's
`as_sql` and `get_converters`, and its being copied with another connection.
tests/test_prepared.py compares every prepared read of seuil with its plain QuerySet on both
databases, and fails on the Django upgrade that changes them.
"""

import copy
import threading
from collections.abc import Callable
from typing import Any, Generic, NamedTuple, TypeVar

from django.db import connections
from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)


class _Compiled(NamedTuple, Generic[M]):
    queryset: "QuerySet[M]"
    compiler: Any  # django.db.models.sql.compiler.SQLCompiler, its select and converters worked out
    sql: str
    params: list[Any]
    slots: list[int]  # where each sample's value goes in params


class PreparedRead(Generic[M]):
    """`build(*samples)` is the QuerySet (sliced to the rows wanted); each sample must reach the
    SQL's parameters unchanged and exactly once, so that a call's values take its place."""

    def __init__(self, build: Callable[..., "QuerySet[M]"], *samples: Any) -> None:
        self.build, self.samples = build, samples
        self._compiled: dict[tuple[str, str], _Compiled[M]] = {}
        self._lock = threading.Lock()

    def _compile(self, alias: str) -> _Compiled[M]:
        key = (alias, connections[alias].vendor)
        compiled = self._compiled.get(key)
        if compiled is not None:
            return compiled
        with self._lock:
            if key not in self._compiled:
                self._compiled[key] = self._compile_now(alias)
            return self._compiled[key]

    def _compile_now(self, alias: str) -> _Compiled[M]:
        queryset = self.build(*self.samples).using(alias)
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        slots = []
        for sample in self.samples:
            found = [n for n, value in enumerate(params) if value == sample]
            if len(found) != 1:
                raise ValueError(f"sample {sample!r} is in the parameters {len(found)} times")
            slots.append(found[0])
        # The converters of each column (the ORM works them out for every evaluation: a third
        # of a userinfo request's CPU for its 78 columns) are the vendor's.
        converters = compiler.get_converters(
            [column[0] for column in compiler.select[0 : compiler.col_count]]
        )
        compiler.get_converters = lambda expressions: converters
        return _Compiled(queryset, compiler, sql, list(params), slots)

    def all(self, *values: Any, using: str = "default") -> list[M]:
        compiled = self._compile(using)
        arguments = list(compiled.params)
        for slot, value in zip(compiled.slots, values, strict=True):
            arguments[slot] = value
        compiler = copy.copy(compiled.compiler)  # its select, klass_info and converters
        compiler.connection = connections[using]  # this thread's
        compiler.as_sql = lambda *args, **kwargs: (compiled.sql, tuple(arguments))
        query = copy.copy(compiled.queryset.query)
        query.get_compiler = lambda *args, **kwargs: compiler  # type: ignore[method-assign]
        return list(QuerySet(model=compiled.queryset.model, query=query, using=using))

    def first(self, *values: Any, using: str = "default") -> M | None:
        """The first row (the QuerySet's slice decides how many are read)."""
        found = self.all(*values, using=using)
        return found[0] if found else None
