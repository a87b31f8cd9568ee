"""Mot de passe oublié: by the confirmed personal e-mail, or by the secret question."""

import re
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.test import Client
from django.utils import timezone

from seuil.accounts.models import Account
from seuil.audit.models import AuditEvent
from seuil.people.models import Person
from seuil.security import throttle
from tests.conftest import PASSWORD, without_csrf

pytestmark = pytest.mark.django_db
FORGOT = "/gestion-de-compte/mot-de-passe-oublie/"
QUESTION = FORGOT + "question/"
RESET = "/gestion-de-compte/nouveau-mot-de-passe/"
STREET = "Dans quelle rue avez-vous grandi ?"


@pytest.fixture
def with_email(jean: Person) -> Account:
    return jean.account


@pytest.fixture
def with_question(make_person: Callable[..., Person]) -> Account:
    account = make_person(first_name="Paul", last_name="Roux", password=PASSWORD).account
    account.secret_question, account.secret_answer = STREET, make_password("rue des lilas")
    account.save()
    return account


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks: Callable[..., Any]) -> Callable[[], Any]:
    return lambda: django_capture_on_commit_callbacks(execute=True)


def without_tokens(page: str) -> str:
    return without_csrf(page)


def ask(client: Client, identifier: str, on_commit: Callable[[], Any] | None = None) -> str:
    if on_commit:
        with on_commit():
            client.post(FORGOT, {"identifier": identifier})
    else:
        client.post(FORGOT, {"identifier": identifier})
    return without_tokens(client.get(FORGOT + "envoye/").content.decode())


def link_in_outbox() -> str:
    match = re.search(r"http://\S+/nouveau-mot-de-passe/\S+/\S+/", str(mail.outbox[-1].body))
    assert match
    return match.group(0).split("127.0.0.1:8000")[1]


def test_the_answer_is_the_same_whether_or_not_the_account_exists(
    with_email: Account, with_question: Account, make_person: Callable[..., Person]
) -> None:
    make_person(first_name="Zoé", last_name="Neant", password=PASSWORD)  # neither method
    pages = {
        ask(Client(), who)
        for who in ["jdupont", "proux", "zneant", "nobody12", "jean.dupont@univ-montp3.fr"]
    }
    assert len(pages) == 1
    page = pages.pop()
    assert (
        "Si ce compte existe et dispose d&#x27;un moyen de récupération" in page
        or "Si ce compte existe et dispose d'un moyen de récupération" in page
    )
    assert "demandez un nouveau Sésame à la DRH (personnels) ou à la scolarité (étudiants)" in page


def test_a_reset_link_goes_to_the_confirmed_address_only(
    client: Client, with_email: Account, with_question: Account, on_commit: Callable[[], Any]
) -> None:
    ask(client, "Jean.Dupont@univ-montp3.fr", on_commit)
    assert [m.to for m in mail.outbox] == [["jean@example.org"]]
    assert "dans l'heure\u00a0; il ne sert qu'une fois" in mail.outbox[0].body
    ask(client, "proux", on_commit)
    with_email.recovery_email, with_email.pending_email = "", "unconfirmed@example.org"
    with_email.save()
    ask(client, "jdupont", on_commit)
    assert len(mail.outbox) == 1


def test_the_link_works_once_ends_every_session_and_does_not_sign_in(
    with_email: Account, on_commit: Callable[[], Any]
) -> None:
    other = Client()
    other.force_login(with_email)
    client = Client()
    ask(client, "jdupont", on_commit)
    link = link_in_outbox()
    landing = client.get(link)
    assert landing["Location"] == RESET, "the token leaves the address bar"
    assert landing["Referrer-Policy"] == "no-referrer"
    assert 'data-testid="password-indicator"' in client.get(RESET).content.decode()
    with on_commit():
        done = client.post(RESET, {"password1": "Zq8vNw3kLp", "password2": "Zq8vNw3kLp"})
    assert "Votre nouveau mot de passe est enregistré" in done.content.decode()
    assert authenticate(username="jdupont", password="Zq8vNw3kLp") is not None
    assert not client.get("/mon-ent/").wsgi_request.user.is_authenticated
    assert other.get("/mon-ent/").status_code == 302, "every session ended"
    assert "Un nouveau mot de passe a été créé pour le compte jdupont" in mail.outbox[-1].body
    assert Client().get(link).status_code == 400, "a link serves once"


def test_a_link_is_void_after_an_hour(
    client: Client, with_email: Account, on_commit: Callable[[], Any]
) -> None:
    ask(client, "jdupont", on_commit)
    # An epoch timestamp: Django's tokens read the naive local clock, which a datetime would skew.
    with time_machine.travel(time.time() + 3660):
        response = client.get(link_in_outbox())
    assert response.status_code == 400
    assert (
        "Ce lien n&#x27;est plus valable" in response.content.decode()
        or "Ce lien n'est plus valable" in response.content.decode()
    )


def test_a_lockout_never_blocks_the_link_and_the_reset_lifts_it(
    client: Client, with_email: Account, on_commit: Callable[[], Any]
) -> None:
    for _ in range(5):
        throttle.attempt("jdupont", lambda: None, action="sign-in", ip="127.0.0.1")
    assert throttle.is_locked("jdupont")
    ask(client, "jdupont", on_commit)
    client.get(link_in_outbox())
    client.post(RESET, {"password1": "Zq8vNw3kLp", "password2": "Zq8vNw3kLp"})
    assert not throttle.is_locked("jdupont")


def test_nobody_floods_a_mailbox_with_links(
    client: Client, with_email: Account, on_commit: Callable[[], Any]
) -> None:
    for _ in range(6):
        ask(client, "jdupont", on_commit)
    assert len(mail.outbox) == 3


def test_the_reset_page_without_a_grant_is_refused(client: Client) -> None:
    assert client.get(RESET).status_code == 400
    assert client.get(RESET + "Mg/bad-token/").status_code == 400
    assert client.get(RESET + "!!!/x/").status_code == 400


def test_the_owner_answers_the_question_and_sets_a_new_password(
    client: Client, with_question: Account
) -> None:
    ask(client, "proux")
    assert STREET.replace(" ?", "\u00a0?") in client.get(QUESTION).content.decode()
    response = client.post(QUESTION, {"question": STREET, "answer": "  RUE des Lilas "})
    assert response["Location"] == RESET
    client.post(RESET, {"password1": "Zq8vNw3kLp", "password2": "Zq8vNw3kLp"})
    assert authenticate(username="proux", password="Zq8vNw3kLp") is not None
    assert AuditEvent.objects.filter(action="password-reset", detail__via="question").exists()


def test_the_question_page_is_the_same_for_any_identifier_and_fails_alike(
    with_question: Account,
) -> None:
    """Nothing on the page depends on the account: an unknown login, an unknown address, the
    account's login and its address all get one page, and fail with one message."""

    def question_page(identifier: str) -> str:
        client = Client()
        ask(client, identifier)
        return without_tokens(client.get(QUESTION).content.decode())

    pages = {question_page(who) for who in ["nobody12", "nobody.x@univ-montp3.fr", "proux",
                                            "paul.roux@univ-montp3.fr"]}  # fmt: skip
    assert len(pages) == 1
    for who, question, answer in [
        ("nobody12", STREET, "rue des lilas"),
        ("proux", STREET, "wrong answer"),
        ("proux", "Quel est le titre de votre livre préféré ?", "rue des lilas"),
    ]:
        client = Client()
        ask(client, who)
        wrong = client.post(QUESTION, {"question": question, "answer": answer})
        assert wrong.context["form"].errors["answer"] == ["Réponse incorrecte."]


def test_three_wrong_answers_by_the_address_say_nothing_about_the_login(
    with_question: Account, throttle_backend: str
) -> None:
    """The closure oracle: the page said "Trois réponses erronées" for the login only if it
    belonged to the account the address named."""
    by_address = Client()
    ask(by_address, "paul.roux@univ-montp3.fr")
    for _ in range(3):
        by_address.post(QUESTION, {"question": STREET, "answer": "wrong answer"})
    pages = []
    for who in ["proux", "nobody12"]:
        client = Client()
        ask(client, who)
        pages.append(without_tokens(client.get(QUESTION).content.decode()))
    assert pages[0] == pages[1]
    assert "Trois réponses erronées" not in pages[0]
    owner = Client()
    ask(owner, "proux")  # the account's own budget is spent all the same
    response = owner.post(QUESTION, {"question": STREET, "answer": "rue des lilas"})
    assert response.status_code == 200


def test_three_wrong_answers_in_a_day_close_the_question_path(
    client: Client, with_question: Account, throttle_backend: str
) -> None:
    ask(client, "proux")
    for _ in range(3):
        client.post(QUESTION, {"question": STREET, "answer": "wrong answer"})
    page = client.post(QUESTION, {"question": STREET, "answer": "rue des lilas"}).content.decode()
    assert "Trois réponses erronées en 24 heures" in page
    assert "demandez un nouveau Sésame" in page.lower() or "Demandez un nouveau Sésame" in page
    with time_machine.travel(timezone.now() + timedelta(hours=24, minutes=1)):
        throttle.reset("proux")
        ask(client, "proux")  # the session has lapsed meanwhile
        response = client.post(QUESTION, {"question": STREET, "answer": "rue des lilas"})
        assert response["Location"] == RESET


def test_the_question_page_needs_an_identifier_first(client: Client) -> None:
    assert client.get(QUESTION)["Location"] == FORGOT


@pytest.mark.django_db(transaction=True)
def test_the_link_is_built_and_sent_after_the_response(with_email: Account, rf: Any) -> None:
    """Built inside the request, the mail made an account with an address 11 ms slower."""
    from django.contrib.sessions.backends.db import SessionStore

    from seuil.mailer.after_response import defer_mail
    from seuil.recovery.views import forgot

    request = rf.post(FORGOT, {"identifier": "jdupont"})
    request.session = SessionStore()
    request._dont_enforce_csrf_checks = True
    response = defer_mail(forgot)(request)
    assert response.status_code == 302
    assert mail.outbox == [], "nothing is built or sent before the response has left"
    response.close()  # what the WSGI server does once the body is written
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_a_known_and_an_unknown_identifier_cost_the_same_queries(
    with_email: Account, rf: Any
) -> None:
    """Counted until the response leaves: what comes after (the outbox row, the mail) cannot be
    timed by the person asking."""
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from seuil.mailer.after_response import defer_mail
    from seuil.recovery.views import forgot

    counts = []
    for who in ["jdupont", "nobody12", "jean.dupont@univ-montp3.fr", "x.y@univ-montp3.fr"]:
        request = rf.post(FORGOT, {"identifier": who})
        request.session = SessionStore()
        request._dont_enforce_csrf_checks = True
        with CaptureQueriesContext(connection) as queries:
            response = defer_mail(forgot)(request)
        response.close()
        counts.append(len(queries))
    assert counts == [counts[0]] * 4
    assert len(mail.outbox) == 2, "the two known ones got their link, after the response"


def test_the_secret_question_is_reachable_directly_without_a_mail(
    client: Client, with_question: Account, with_email: Account, on_commit: Callable[[], Any]
) -> None:
    page = client.get(FORGOT).content.decode()
    assert 'name="route" value="question"' in page
    with on_commit():
        response = client.post(FORGOT, {"identifier": "proux", "route": "question"})
    assert response["Location"] == QUESTION
    assert mail.outbox == [], "the question route sends no link"
    assert STREET.replace(" ?", "\u00a0?") in client.get(QUESTION).content.decode()
    response = client.post(QUESTION, {"question": STREET, "answer": "rue des lilas"})
    assert response["Location"] == RESET
    # An address with a mail route: asking for the question sends nothing either.
    with on_commit():
        client.post(FORGOT, {"identifier": with_email.login, "route": "question"})
    assert mail.outbox == []
