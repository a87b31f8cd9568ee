"""A committing test's teardown: the rows go, what the migrations wrote stays.

pytest-django ends a test that commits (`transaction=True`, a live server) with Django's
TransactionTestCase teardown, a flush; tests/conftest.py points it here."""

from django.db import connections, transaction
from django.test import TransactionTestCase

# What the migrations write once and no test changes: a committing test's flush keeps them.
# The groups are the RH group and its permissions (seuil.activation's migrations), which HR's
# accounts, `load_demo` and the permission tests need whichever test ran before on the worker.
KEPT_TABLES = frozenset(
    {"django_content_type", "auth_permission", "django_migrations", "auth_group",
     "auth_group_permissions"}
)  # fmt: skip


def empty_tables(database: str) -> None:
    """A committing (transaction=True) test's teardown: empty every table but KEPT_TABLES.

    Django's flush empties them all, then sends post_migrate so that contenttypes and auth write
    the same rows again: 125 ms of the 130 a flush takes on SQLite, after each of the suite's
    hundreds of committing tests. And on PostgreSQL it empties them with TRUNCATE, which gives
    each table new files: 250–330 ms for seuil's tables, against 11 ms for DELETE of the few rows
    a test leaves. Django's foreign keys are checked at the commit (DEFERRABLE INITIALLY
    DEFERRED), so the tables can be emptied in any order within one transaction.
    """
    connection = connections[database]
    tables = [
        table
        for table in connection.introspection.django_table_names(
            only_existing=True, include_views=False
        )
        if table not in KEPT_TABLES
    ]
    with transaction.atomic(using=database), connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")  # noqa: S608


def flush_keeping_what_migrations_wrote() -> None:
    """Point TransactionTestCase's teardown (what pytest-django runs after a committing test)
    at empty_tables; tests/test_suite.py checks that it still runs there and what it keeps."""

    def _fixture_teardown(self: TransactionTestCase) -> None:
        for name in self._databases_names(include_mirrors=False):  # type: ignore[attr-defined]
            empty_tables(name)

    TransactionTestCase._fixture_teardown = _fixture_teardown  # type: ignore[attr-defined]
