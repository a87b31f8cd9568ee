"""With SEUIL_REDIS_URL, sessions live in Redis: signing in writes no session row, signing out
deletes the session there, and a password change still ends the other sessions."""

import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any
from unittest import mock

import pytest
import redis
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import Client

from seuil.people.models import Person
from seuil.security import cache_sessions, sessions
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
            "BACKEND": "seuil.core.redis_cache.RedisCache",
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
        "seuil.core.redis_cache.RedisCache",
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


def test_requests_reuse_one_redis_client(
    redis_sessions: redis.Redis, make_person: Callable[..., Person]
) -> None:
    """seuil.core.redis_cache: Django's backend built a client (and its ~170 response
    callbacks) for every cache operation, two per request with a session."""
    client = signed_in(make_person(password=PASSWORD))
    built = 0
    original = redis.Redis.__init__

    def counted(self: redis.Redis, *args: Any, **kwargs: Any) -> None:
        nonlocal built
        built += 1
        original(self, *args, **kwargs)

    with mock.patch.object(redis.Redis, "__init__", counted):
        for _ in range(5):
            assert client.get("/mon-ent/").status_code == 200
    assert built == 0


def test_an_unchanged_session_only_slides_its_timeout_and_keeps_a_change_made_meanwhile(
    redis_sessions: redis.Redis, make_person: Callable[..., Person], settings: Any
) -> None:
    client = signed_in(make_person(password=PASSWORD))
    key = client.cookies["sessionid"].value
    mine = cache_sessions.SessionStore(key)
    assert mine.get("_auth_user_id")  # this request read it, and changes nothing
    other = cache_sessions.SessionStore(key)
    other["seuil_other_request"] = "kept"  # a request on another host changed it meanwhile
    other.save()
    (stored,) = redis_sessions.keys("*")
    redis_sessions.expire(stored, 5)
    mine.save()  # SESSION_SAVE_EVERY_REQUEST
    assert redis_sessions.ttl(stored) > settings.SESSION_COOKIE_AGE - 5  # the timeout slid
    assert cache_sessions.SessionStore(key).load()["seuil_other_request"] == "kept"


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


def test_a_sign_in_writes_its_session_in_one_round_trip_and_never_over_a_taken_key(
    redis_sessions: redis.Redis, make_person: Callable[..., Person]
) -> None:
    """A new key is only chosen, then written once with its data (SET NX): a key already taken
    is refused, and another drawn."""
    other = cache_sessions.SessionStore()
    other["owner"] = "someone else"
    other.save()
    taken = other.session_key
    assert taken
    make_person(password=PASSWORD)
    client = Client()
    with mock.patch.object(sessions, "get_random_string", side_effect=[taken, "b" * 32]):
        client.post(SIGN_IN, {"login": "jdupont", "password": PASSWORD})
    assert client.cookies["sessionid"].value == "b" * 32
    assert cache_sessions.SessionStore(taken)["owner"] == "someone else"
    assert client.get("/mon-ent/").status_code == 200


def test_a_session_ended_during_a_request_is_not_written_back(redis_sessions: redis.Redis) -> None:
    """SET XX: a request still in flight when the session ends elsewhere (a sign-out, a password
    reset) does not bring it back at its save."""
    store = cache_sessions.SessionStore()
    store["seen"] = 1
    store.save()
    key = store.session_key
    in_flight = cache_sessions.SessionStore(key)
    assert in_flight["seen"] == 1
    in_flight["seen"] = 2
    cache_sessions.SessionStore(key).delete()
    with pytest.raises(UpdateError):
        in_flight.save()
    assert redis_sessions.dbsize() == 0
    again = cache_sessions.SessionStore(key)
    assert again.load() == {}


def test_a_live_session_is_saved_in_place(redis_sessions: redis.Redis) -> None:
    store = cache_sessions.SessionStore()
    store["seen"] = 1
    store.save()
    later = cache_sessions.SessionStore(store.session_key)
    later["seen"] = 2
    later.save()
    assert cache_sessions.SessionStore(store.session_key)["seen"] == 2
    assert 0 < redis_sessions.ttl(redis_sessions.keys()[0]) <= later.get_expiry_age()
