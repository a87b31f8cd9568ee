"""Public blank forms rendered once per process, each answer with its own CSRF token (#16)."""

from collections.abc import Callable

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage
from django.test import Client, RequestFactory

from seuil.core import pages
from seuil.people.models import Person
from tests.conftest import ACTIVATION_URL, PASSWORD, csrf_token, without_csrf

pytestmark = pytest.mark.django_db
SIGN_IN = "/gestion-de-compte/se-connecter/"
FORGOT = "/gestion-de-compte/mot-de-passe-oublie/"
STUDENT = "/gestion-de-compte/validation-etudiant/"
PAGES = [SIGN_IN, ACTIVATION_URL, FORGOT, STUDENT]


@pytest.fixture(autouse=True)
def _no_pages_kept() -> None:
    pages.forget()


def fresh(path: str, language: str = "fr") -> str:
    """The page as the template engine renders it today, with nothing kept."""
    pages.forget()
    html = Client(headers={"accept-language": language}).get(path).content.decode()
    pages.forget()
    return html


@pytest.mark.parametrize("path", PAGES)
def test_it_renders_a_blank_form_once_and_serves_it_again_unchanged(path: str) -> None:
    first = Client().get(path)
    again = Client().get(path)
    assert first.templates
    assert not again.templates
    assert without_csrf(again.content.decode()) == without_csrf(fresh(path))


@pytest.mark.parametrize("path", PAGES)
def test_each_visitor_gets_a_token_of_their_own_that_the_csrf_check_accepts(path: str) -> None:
    ann, bob = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    tokens = [csrf_token(c.get(path).content.decode()) for c in (ann, bob)]
    assert tokens[0] != tokens[1]
    assert pages.MARKER not in tokens
    assert ann.cookies["csrftoken"].value != bob.cookies["csrftoken"].value
    # Each token passes with its own visitor's cookie (the form then judges the empty fields)
    # and not with the other's.
    assert ann.post(path, {"csrfmiddlewaretoken": tokens[0]}).status_code != 403
    assert bob.post(path, {"csrfmiddlewaretoken": tokens[0]}).status_code == 403


def test_a_sign_in_works_from_a_kept_page(make_person: Callable[..., Person]) -> None:
    person = make_person(password=PASSWORD)
    Client().get(SIGN_IN)  # kept
    client = Client(enforce_csrf_checks=True)
    token = csrf_token(client.get(SIGN_IN).content.decode())
    data = {"csrfmiddlewaretoken": token, "login": person.account.login, "password": PASSWORD}
    assert client.post(SIGN_IN, data)["Location"] == "/mon-ent/"


def test_each_language_has_its_own_page() -> None:
    Client().get(SIGN_IN)  # the French page kept
    english = Client(headers={"accept-language": "en"}).get(SIGN_IN).content.decode()
    assert '<html lang="en">' in english
    assert ">Sign in<" in english
    assert without_csrf(english) == without_csrf(fresh(SIGN_IN, "en"))
    french = Client().get(SIGN_IN).content.decode()
    assert '<html lang="fr">' in french
    assert ">Se connecter<" in french


def test_it_renders_the_page_anew_for_a_query_string() -> None:
    Client().get(SIGN_IN)
    response = Client().get(SIGN_IN + "?next=/mon-ent/services/")
    assert response.templates
    assert 'name="next" value="/mon-ent/services/"' in response.content.decode()


def test_it_renders_the_page_anew_for_a_signed_in_person(
    make_person: Callable[..., Person],
) -> None:
    Client().get(SIGN_IN)
    client = Client()
    client.force_login(make_person(password=PASSWORD).account)
    response = client.get(SIGN_IN)
    assert response.templates
    assert "Se déconnecter" in response.content.decode()


def test_it_renders_the_page_anew_when_a_message_waits() -> None:
    Client().get(SIGN_IN)
    client = Client()
    request = RequestFactory().get(SIGN_IN)
    storage = CookieStorage(request)
    storage.add(constants.INFO, "Votre mot de passe a été changé.")
    response = client.get(SIGN_IN)  # sets the cookies the message storage needs next
    storage.update(response)
    client.cookies.update(response.cookies)
    response = client.get(SIGN_IN)
    assert response.templates
    assert "Votre mot de passe a été changé." in response.content.decode()


def test_a_refused_sign_in_is_rendered_with_its_error(make_person: Callable[..., Person]) -> None:
    person = make_person(password=PASSWORD)
    Client().get(SIGN_IN)
    client = Client()
    response = client.post(SIGN_IN, {"login": person.account.login, "password": "wrong1"})
    assert response.templates
    assert "Identifiant ou mot de passe incorrect." in (response.content.decode())


def test_a_change_of_settings_drops_the_pages_kept(settings: object) -> None:
    Client().get(SIGN_IN)
    settings.SEUIL_INSTITUTION_NAME = "Université de Nulle Part"  # type: ignore[attr-defined]
    assert "Université de Nulle Part" in Client().get(SIGN_IN).content.decode()
