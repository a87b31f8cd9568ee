"""Database sessions: one write per request, a new key at sign-in, and no key ever reused."""

from unittest import mock

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from seuil.people.models import Person
from seuil.security import sessions
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
URL = "/gestion-de-compte/se-connecter/"


def session_statements(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"].split()[0] for q in queries.captured_queries if "django_session" in q["sql"]]


def test_a_sign_in_writes_its_session_once(client: Client, jean: Person) -> None:
    with CaptureQueriesContext(connection) as queries:
        response = client.post(URL, {"login": "jdupont", "password": PASSWORD})
    assert response.status_code == 302
    assert session_statements(queries) == ["INSERT"]
    assert client.get("/mon-ent/").status_code == 200  # the session it wrote is the one it uses


def test_a_sign_in_replaces_the_session_it_found(client: Client, jean: Person) -> None:
    session = client.session
    session["before"] = "kept"
    session.save()
    before = session.session_key
    client.post(URL, {"login": "jdupont", "password": PASSWORD})
    after = client.cookies["sessionid"].value
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()  # no fixation
    assert client.session["before"] == "kept"


def test_a_key_already_taken_is_never_overwritten(client: Client, jean: Person) -> None:
    other = sessions.SessionStore()
    other["owner"] = "someone else"
    other.save()
    taken = other.session_key
    assert taken
    with mock.patch.object(sessions, "get_random_string", side_effect=[taken, "b" * 32]):
        client.post(URL, {"login": "jdupont", "password": PASSWORD})
    assert client.cookies["sessionid"].value == "b" * 32
    assert sessions.SessionStore(taken)["owner"] == "someone else"
