"""The journeys the visitor tests do not drive (the secret question, a new personal address), end
to end over HTTP, with mail through a real SMTP server on loopback."""

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from django.contrib.auth.hashers import make_password

from seuil.accounts.models import Account
from tests.conftest import PASSWORD, Inbox, csrf_token, text_of

pytestmark = pytest.mark.django_db(transaction=True)


class Visitor:
    """An HTTP client that fills forms the way a visitor does, CSRF token included."""

    def __init__(self, base: str) -> None:
        self.http = httpx.Client(base_url=base, follow_redirects=True, timeout=30)

    def get(self, path: str) -> httpx.Response:
        return self.http.get(path)

    def submit(
        self, path: str, data: dict[str, str], page: httpx.Response | None = None
    ) -> httpx.Response:
        page = page or self.get(path)
        return self.http.post(path, data={"csrfmiddlewaretoken": csrf_token(page.text), **data})


@pytest.fixture
def visitor(live_server: Any, settings: Any) -> Iterator[Visitor]:
    settings.SEUIL_BASE_URL = live_server.url
    client = Visitor(live_server.url)
    yield client
    client.http.close()


def link(message: Any) -> str:
    match = re.search(r"https?://\S+?/gestion-de-compte/\S+/", text_of(message))
    assert match
    return match.group(0)


def sign_in(visitor: Visitor, password: str = PASSWORD) -> httpx.Response:
    return visitor.submit(
        "/gestion-de-compte/se-connecter/", {"login": "jdupont", "password": password}
    )


def test_forgotten_password_by_secret_question(
    visitor: Visitor, researcher: Account, smtp_server: Inbox
) -> None:
    researcher.recovery_email = ""
    researcher.secret_question = "Dans quelle rue avez-vous grandi ?"
    researcher.secret_answer = make_password("rue des lilas")
    researcher.save()
    visitor.submit("/gestion-de-compte/mot-de-passe-oublie/", {"identifier": "jdupont"})
    question = visitor.get("/gestion-de-compte/mot-de-passe-oublie/question/")
    assert "Dans quelle rue avez-vous grandi\u00a0?" in question.text
    street = "Dans quelle rue avez-vous grandi ?"  # the value stored; the label has French spacing
    wrong = visitor.submit(
        question.url.path, {"question": street, "answer": "Rue des Roses"}, page=question
    )
    assert "Réponse incorrecte." in wrong.text
    form = visitor.submit(
        question.url.path, {"question": street, "answer": "Rue des Lilas"}, page=wrong
    )
    assert form.url.path == "/gestion-de-compte/nouveau-mot-de-passe/"
    visitor.submit(form.url.path, {"password1": "Zq8vNw3kLp", "password2": "Zq8vNw3kLp"}, page=form)
    assert sign_in(visitor, "Zq8vNw3kLp").url.path == "/mon-ent/"
    assert smtp_server.messages == [], "no confirmed address: nobody to notify"


def test_change_of_personal_email_with_confirmation(
    visitor: Visitor, researcher: Account, smtp_server: Inbox
) -> None:
    sign_in(visitor)
    done = visitor.submit(
        "/gestion-de-compte/mes-informations-de-recuperation/",
        {"personal_email": "jean.new@example.net", "current_password": PASSWORD},
    )
    assert (
        "Un lien de confirmation vient d'être envoyé" in done.text
        or "Un lien de confirmation vient d&#x27;être envoyé" in done.text
    )
    messages = smtp_server.wait_for(2)
    confirmation = next(m for m in messages if str(m["To"]) == "jean.new@example.net")
    notice = next(m for m in messages if str(m["To"]) == "jean@example.org")
    assert "j***@example.net" in text_of(notice)
    button = visitor.get(link(confirmation))
    confirmed = visitor.submit(button.url.path, {}, page=button)
    assert "est confirmé" in confirmed.text
    researcher.refresh_from_db()
    assert (researcher.recovery_email, researcher.pending_email) == ("jean.new@example.net", "")
