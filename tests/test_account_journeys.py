"""Life after activation, end to end over HTTP, with mail through a real SMTP server on loopback."""

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from django.contrib.auth.hashers import make_password

from seuil.accounts.models import Account
from tests.conftest import Inbox, text_of

pytestmark = pytest.mark.django_db(transaction=True)


class Browser:
    """An HTTP client that fills forms the way a browser does, CSRF token included."""

    def __init__(self, base: str) -> None:
        self.http = httpx.Client(base_url=base, follow_redirects=True, timeout=30)

    def get(self, path: str) -> httpx.Response:
        return self.http.get(path)

    def submit(
        self, path: str, data: dict[str, str], page: httpx.Response | None = None
    ) -> httpx.Response:
        page = page or self.get(path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token, f"no form at {path}"
        return self.http.post(path, data={"csrfmiddlewaretoken": token.group(1), **data})


@pytest.fixture
def browser(live_server: Any, settings: Any) -> Iterator[Browser]:
    settings.SEUIL_BASE_URL = live_server.url
    client = Browser(live_server.url)
    yield client
    client.http.close()


def link(message: Any) -> str:
    match = re.search(r"https?://\S+?/gestion-de-compte/\S+/", text_of(message))
    assert match
    return match.group(0)


def sign_in(browser: Browser, password: str = "Lbmx4kr7Tq") -> httpx.Response:
    return browser.submit(
        "/gestion-de-compte/se-connecter/", {"login": "jdupont", "password": password}
    )


def test_sign_in_portal_and_sign_out(browser: Browser, researcher: Account) -> None:
    portal = sign_in(browser)
    assert portal.url.path == "/mon-ent/"
    assert "Archive ouverte" in portal.text
    assert "jean.dupont@univ-montp3.fr" in portal.text
    home = browser.submit("/gestion-de-compte/se-deconnecter/", {}, page=portal)
    assert home.url.path == "/"
    assert browser.get("/mon-ent/").url.path == "/gestion-de-compte/se-connecter/"


def test_change_of_password(browser: Browser, researcher: Account, smtp_server: Inbox) -> None:
    sign_in(browser)
    done = browser.submit(
        "/gestion-de-compte/changer-mon-mot-de-passe/",
        {"current_password": "Lbmx4kr7Tq", "password1": "Zq8vNw3kLp", "password2": "Zq8vNw3kLp"},
    )
    assert "Votre mot de passe est changé" in done.text
    [notice] = smtp_server.wait_for(1)
    assert "a été changé" in text_of(notice)
    assert "Zq8vNw3kLp" not in notice.as_string()
    browser.submit("/gestion-de-compte/se-deconnecter/", {}, page=done)
    assert sign_in(browser, "Zq8vNw3kLp").url.path == "/mon-ent/"


def test_forgotten_password_by_email_link(
    browser: Browser, researcher: Account, smtp_server: Inbox
) -> None:
    sent = browser.submit(
        "/gestion-de-compte/mot-de-passe-oublie/", {"identifier": "jean.dupont@univ-montp3.fr"}
    )
    assert "Si ce compte existe" in sent.text
    [message] = smtp_server.wait_for(1)
    assert str(message["To"]) == "jean@example.org"
    form = browser.get(link(message))
    assert form.url.path == "/gestion-de-compte/nouveau-mot-de-passe/", "the token left the address"
    done = browser.submit(
        form.url.path, {"password1": "Zq8vNw3kLp", "password2": "Zq8vNw3kLp"}, page=form
    )
    assert "Votre nouveau mot de passe est enregistré" in done.text
    assert "a été créé pour le compte jdupont" in text_of(smtp_server.wait_for(2)[1])
    assert sign_in(browser, "Zq8vNw3kLp").url.path == "/mon-ent/"
    assert browser.get(link(message)).status_code == 400, "the link served once"


def test_forgotten_password_by_secret_question(
    browser: Browser, researcher: Account, smtp_server: Inbox
) -> None:
    researcher.recovery_email = ""
    researcher.secret_question = "Dans quelle rue avez-vous grandi ?"
    researcher.secret_answer = make_password("rue des lilas")
    researcher.save()
    browser.submit("/gestion-de-compte/mot-de-passe-oublie/", {"identifier": "jdupont"})
    question = browser.get("/gestion-de-compte/mot-de-passe-oublie/question/")
    assert "Dans quelle rue avez-vous grandi\u00a0?" in question.text
    wrong = browser.submit(question.url.path, {"answer": "Rue des Roses"}, page=question)
    assert "Réponse incorrecte." in wrong.text
    form = browser.submit(question.url.path, {"answer": "Rue des Lilas"}, page=wrong)
    assert form.url.path == "/gestion-de-compte/nouveau-mot-de-passe/"
    browser.submit(form.url.path, {"password1": "Zq8vNw3kLp", "password2": "Zq8vNw3kLp"}, page=form)
    assert sign_in(browser, "Zq8vNw3kLp").url.path == "/mon-ent/"
    assert smtp_server.messages == [], "no confirmed address: nobody to notify"


def test_change_of_personal_email_with_confirmation(
    browser: Browser, researcher: Account, smtp_server: Inbox
) -> None:
    sign_in(browser)
    done = browser.submit(
        "/gestion-de-compte/mes-informations-de-recuperation/",
        {"personal_email": "jean.new@example.net", "current_password": "Lbmx4kr7Tq"},
    )
    assert (
        "Un lien de confirmation vient d'être envoyé" in done.text
        or "Un lien de confirmation vient d&#x27;être envoyé" in done.text
    )
    messages = smtp_server.wait_for(2)
    confirmation = next(m for m in messages if str(m["To"]) == "jean.new@example.net")
    notice = next(m for m in messages if str(m["To"]) == "jean@example.org")
    assert "j***@example.net" in text_of(notice)
    button = browser.get(link(confirmation))
    confirmed = browser.submit(button.url.path, {}, page=button)
    assert "est confirmé" in confirmed.text
    researcher.refresh_from_db()
    assert (researcher.recovery_email, researcher.pending_email) == ("jean.new@example.net", "")
