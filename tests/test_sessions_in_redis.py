"""With SEUIL_REDIS_URL, sessions live in Redis: signing in writes no session row, signing out
deletes the session there, and a password change still ends the other sessions."""

import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import Client

from seuil.people.models import Person
from tests.conftest import PASSWORD, TEST_REDIS, need_redis
from tests.test_settings import BASE

pytestmark = pytest.mark.django_db
REDIS = TEST_REDIS  # this worker's: the tests flush it
SIGN_IN = "/gestion-de-compte/se-connecter/"


@pytest.fixture
def redis_sessions(settings: Any) -> Iterator[redis.Redis]:
    need_redis(REDIS)
    server = redis.Redis.from_url(REDIS, socket_timeout=1)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS,
        }
    }
    settings.SESSION_ENGINE = "seuil.security.cache_sessions"
    server.flushdb()
    yield server
    cache.clear()


def signed_in(person: Person) -> Client:
    client = Client()
    response = client.post(SIGN_IN, {"login": person.account.login, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_settings_keep_sessions_in_redis_when_it_is_configured() -> None:
    code = "import seuil.settings as s; print(s.SESSION_ENGINE, s.CACHES['default']['BACKEND'])"
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**BASE, "SEUIL_REDIS_URL": REDIS},
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.split() == [
        "seuil.security.cache_sessions",
        "django.core.cache.backends.redis.RedisCache",
    ]


def test_signing_in_and_out_uses_redis_not_the_database(
    redis_sessions: redis.Redis, make_person: Callable[..., Person]
) -> None:
    jean = make_person(password=PASSWORD)
    client = signed_in(jean)
    assert client.get("/mon-ent/").status_code == 200
    assert not Session.objects.exists()
    assert redis_sessions.dbsize() == 1
    client.post("/gestion-de-compte/se-deconnecter/")
    assert redis_sessions.dbsize() == 0, "signing out deletes the session on the server"
    assert client.get("/mon-ent/").status_code == 302


def test_a_password_change_ends_the_other_sessions_in_redis(
    redis_sessions: redis.Redis, make_person: Callable[..., Person]
) -> None:
    jean = make_person(password=PASSWORD)
    here, elsewhere = signed_in(jean), signed_in(jean)
    response = here.post(
        "/gestion-de-compte/changer-mon-mot-de-passe/",
        {"current_password": PASSWORD, "password1": "Zq8vNw3kLp", "password2": "Zq8vNw3kLp"},
    )
    assert response["Location"] == "/mon-ent/"
    assert here.get("/mon-ent/").status_code == 200
    assert elsewhere.get("/mon-ent/").status_code == 302
