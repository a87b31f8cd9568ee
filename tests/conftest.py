"""What every test shares: where the database lives, and how a missing component is reported.

`make test` runs pytest twice: on SQLite, then the tests marked `postgres` on a throw-away database
at SEUIL_TEST_POSTGRES_URL. A test whose component is missing skips loudly, or fails when
SEUIL_REQUIRE_ALL=1 (as on CI).
"""

import os
import tempfile
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

REQUIRE_ALL = os.environ.get("SEUIL_REQUIRE_ALL") == "1"


def need(component: str, available: bool, how: str) -> None:
    """Skip loudly (fail under SEUIL_REQUIRE_ALL=1) when a component the test needs is missing."""
    if available:
        return
    message = f"MISSING COMPONENT {component}: {how}"
    if REQUIRE_ALL:
        pytest.fail(message + " (SEUIL_REQUIRE_ALL=1 makes this a failure)", pytrace=False)
    pytest.skip(message)


def on_postgres() -> bool:
    return bool(settings.DATABASES["default"]["ENGINE"].endswith("postgresql"))


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    database = settings.DATABASES["default"]
    if on_postgres():
        # Each run creates its own database, so two runs on one server never collide.
        database["TEST"]["NAME"] = f"test_seuil_{os.getpid()}"
    else:
        # A file, not memory: threads in race tests then hold truly separate connections.
        path = Path(tempfile.gettempdir()) / f"seuil-test-{os.getpid()}.sqlite3"
        database["TEST"]["NAME"] = str(path)


def pytest_configure(config: pytest.Config) -> None:
    # Tests render templates without running collectstatic first: files come from the finders.
    settings.WHITENOISE_USE_FINDERS = True
    settings.STATIC_ROOT = tempfile.mkdtemp(prefix="seuil-static-")
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not on_postgres():
        return
    database = settings.DATABASES["default"]
    try:
        psycopg.connect(
            host=database["HOST"],
            port=database["PORT"] or 5432,
            user=database["USER"],
            password=database["PASSWORD"],
            dbname=database["NAME"],
            connect_timeout=3,
        ).close()
    except psycopg.Error as error:
        message = f"MISSING COMPONENT PostgreSQL: unreachable ({str(error).strip()})"
        if REQUIRE_ALL:
            raise pytest.UsageError(message + " and SEUIL_REQUIRE_ALL=1") from None
        for item in items:
            item.add_marker(pytest.mark.skip(reason=message))
