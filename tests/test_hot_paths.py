"""The statements of the two requests every newcomer makes (#16): each one is a round trip and
a fraction of a millisecond of the worker's CPU around the one hash. A new one must be meant."""

from typing import Any

import pytest
from django.core import mail
from django.test import Client

from seuil.people.models import Person
from tests.conftest import ACTIVATION_URL, PASSWORD

pytestmark = pytest.mark.django_db
SIGN_IN_URL = "/gestion-de-compte/se-connecter/"


def test_a_sign_in_makes_at_most_16_statements(
    client: Client, jean: Person, django_assert_max_num_queries: Any
) -> None:
    """The rate window; the lockout counted before the check (a transaction: one upsert per row,
    which creates, locks and reads it, in key order, then one UPDATE of both; the networks
    counted only near the account's threshold) and forgotten after, one row per DELETE (both at
    once deadlocked concurrent activations on PostgreSQL); the account, last_login, the audit
    row, the sign-on (so that a reset or a lock can end the session everywhere), whether the
    account has a second factor (seuil.mfa.models.has_factor), the session. In a test the
    session's INSERT takes a savepoint (two statements more): the test runs in a transaction,
    where a server's request runs in autocommit."""
    with django_assert_max_num_queries(16):
        response = client.post(SIGN_IN_URL, {"login": "jdupont", "password": PASSWORD})
    assert response.status_code == 302


@pytest.mark.django_db(transaction=True)  # real commits: the mails leave after the response
def test_an_activation_makes_at_most_29_statements_with_its_two_mails(
    client: Client, with_sesame: tuple[Person, str], django_assert_max_num_queries: Any
) -> None:
    person, sesame = with_sesame
    data = {"login": person.account.login, "sesame": sesame, "password1": PASSWORD}
    data |= {"password2": PASSWORD, "personal_email": "jean@example.org", "charter": "on"}
    with django_assert_max_num_queries(29):  # the mails leave on one claim of the outbox
        response = client.post(ACTIVATION_URL, data)
    assert response.status_code == 302
    assert len(mail.outbox) == 2
