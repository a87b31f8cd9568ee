"""Bodies seuil will not parse get seuil's 400 page, never a 500 and never a spooled upload."""

from typing import Any

import pytest
from django.test import Client

pytestmark = [pytest.mark.django_db]
SIGN_IN = "/gestion-de-compte/se-connecter/"
PAGE = "Requête refusée"


def signed_form(client: Client) -> str:
    client.get(SIGN_IN)
    return str(client.cookies["csrftoken"].value)


@pytest.mark.parametrize("charset", ["latin-1", "utf-16", "iso-8859-15", "no-such-charset"])
@pytest.mark.parametrize(
    "url",
    [
        SIGN_IN,
        "/gestion-de-compte/validation-personnel/",
        "/gestion-de-compte/mot-de-passe-oublie/",
    ],
)
def test_a_form_in_another_charset_gets_seuils_400_page(charset: str, url: str) -> None:
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    token = signed_form(client)
    response = client.generic(
        "POST",
        url,
        f"csrfmiddlewaretoken={token}&login=a&password=b".encode(),
        content_type=f"application/x-www-form-urlencoded; charset={charset}",
    )
    assert response.status_code == 400
    assert PAGE in response.content.decode()
    assert response["Content-Security-Policy"], "seuil's headers, not a bare server page"


def test_a_file_part_is_refused_and_never_kept(client: Client, tmp_path: object) -> None:
    boundary = "seuilboundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="login"\r\n\r\njdupont\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="upload"; filename="x.bin"\r\n'
        f"Content-Type: application/octet-stream\r\n\r\n{'x' * 100_000}\r\n--{boundary}--\r\n"
    ).encode()
    response = client.post(SIGN_IN, body, content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 400
    assert PAGE in response.content.decode()


def test_a_body_over_the_cap_is_refused_by_its_length_before_it_is_read(client: Client) -> None:
    response = client.generic(
        "POST",
        SIGN_IN,
        b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(100 * 1024 * 1024),
    )
    assert response.status_code == 413
    assert PAGE in response.content.decode()


def test_the_language_cookie_has_its_flags(client: Client, settings: Any) -> None:
    settings.LANGUAGE_COOKIE_SECURE = True  # what SEUIL_SECURE_COOKIES gives in production
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    cookie = response.cookies["django_language"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert cookie["secure"]


def test_the_language_cookie_is_secure_whenever_the_session_cookie_is() -> None:
    from django.conf import settings

    assert settings.LANGUAGE_COOKIE_SECURE == settings.SESSION_COOKIE_SECURE
    assert settings.LANGUAGE_COOKIE_HTTPONLY
