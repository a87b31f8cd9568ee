"""/cas/login with a live session in a fixed number of statements (issue 25 §2), on SQLite and
PostgreSQL: the registration read with its service and whether it is for the person's status,
then the ticket written; old tickets are swept once a minute, not on every ticket. The session's
and the account's statements are the middleware's, and bounded here only."""

import re
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from seuil.cas import models as cas_models
from seuil.cas.models import CasService, ServiceTicket
from seuil.people.models import Person
from seuil.sso.models import Service
from tests.cas import register_cas
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
APP = "http://app.example/moodle/"
OURS = re.compile(r'"((?:sso|cas)_\w+)"')


@pytest.fixture
def app() -> Service:
    register_cas("Autre", "http://other.example/")  # not read: another host
    return register_cas("Espace de cours", APP)


@pytest.fixture(autouse=True)
def swept() -> Iterator[None]:
    """Old tickets were swept a moment ago (cas.models.SWEEP): the counts are a steady state's."""
    cas_models.SWEEP.last = timezone.now()
    yield
    cas_models.SWEEP.last = None


def signed_in() -> Client:
    client = Client()
    response = client.post(
        "/gestion-de-compte/se-connecter/", {"login": "jdupont", "password": PASSWORD}
    )
    assert response.status_code == 302, "the sign-in failed"
    client.get("/mon-ent/")
    return client


def statements(queries: CaptureQueriesContext) -> list[str]:
    found = []
    for query in queries.captured_queries:
        table = OURS.search(query["sql"])
        if table:
            found.append(f"{query['sql'].split(None, 1)[0].upper()} {table.group(1)}")
    return found


def test_a_login_with_a_live_session_reads_the_registration_and_writes_the_ticket(
    app: Service, jean: Person
) -> None:
    browser = signed_in()
    with CaptureQueriesContext(connection) as queries:
        answer = browser.get("/cas/login", {"service": APP})
    assert answer.status_code == 302
    assert "ticket=ST-" in answer["Location"]
    assert statements(queries) == ["SELECT cas_casservice", "INSERT cas_serviceticket"]
    # And the middleware's: the session read and saved, the account and person read.
    others = [
        q["sql"] for q in queries.captured_queries if not q["sql"].startswith(("SAVE", "REL"))
    ]
    assert len(others) <= 5, "\n".join(others)


def test_a_login_still_refuses_a_status_the_service_is_not_for(jean: Person) -> None:
    register_cas("Scolarité", APP, statuses=("etudiant",))
    answer = signed_in().get("/cas/login", {"service": APP})
    assert answer.status_code == 403
    assert not ServiceTicket.objects.exists()


def test_the_longest_registered_prefix_of_the_host_wins(app: Service) -> None:
    longer = register_cas("Moodle, section", APP + "section/")
    found = CasService.objects.for_url(APP + "section/cours?id=1")
    assert found is not None
    assert found.service == longer
    upper = CasService.objects.for_url("http://APP.example/moodle/x")  # hosts have no case
    assert upper is not None
    assert upper.service == app
    assert CasService.objects.for_url("http://app.example.evil/moodle/") is None


def test_old_tickets_are_swept_once_a_minute(app: Service, jean: Person) -> None:
    browser = signed_in()
    first = parse_qs(urlsplit(browser.get("/cas/login", {"service": APP})["Location"]).query)
    assert first["ticket"]
    ServiceTicket.objects.update(created_at=timezone.now() - timedelta(minutes=6))
    browser.get("/cas/login", {"service": APP})
    assert ServiceTicket.objects.count() == 2  # swept a moment ago (the fixture)
    cas_models.SWEEP.last = timezone.now() - timedelta(minutes=2)
    browser.get("/cas/login", {"service": APP})
    assert ServiceTicket.objects.count() == 2  # the old one gone, the new one in
