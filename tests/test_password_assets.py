"""The activation page paints first: the common passwords and zxcvbn arrive when the form is
touched, the list compressed and kept by the browser."""

import gzip
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import Page, Request, expect

from seuil.accounts import passwords
from seuil.people.models import Person
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
PAGE = "/gestion-de-compte/validation-personnel/"


def common_url(client: Client) -> str:
    page = client.get(PAGE).content.decode()
    policy = json.loads(re.search(r'id="password-policy"[^>]*>(.*?)</script>', page)[1])  # type: ignore[index]
    return str(policy["commonUrl"])


def test_the_page_carries_neither_the_list_nor_zxcvbn(client: Client) -> None:
    page = client.get(PAGE).content.decode()
    assert len(page) < 15_000  # 57 KB while the list was inline
    assert "azertyuiop" not in page
    assert not re.search(r"<script[^>]+src=\"[^\"]*zxcvbn", page)


def test_the_list_is_the_servers_compressed_and_kept_for_good(client: Client) -> None:
    response = client.get(common_url(client), headers={"accept-encoding": "gzip, br"})
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(response.content)) == passwords.decisive_common_passwords()
    assert "immutable" in response["Cache-Control"]
    assert "Accept-Encoding" in response["Vary"]
    assert "sessionid" not in response.cookies
    assert "csrftoken" not in response.cookies
    again = client.get(common_url(client), headers={"if-none-match": response["ETag"]})
    assert again.status_code == 304


def test_a_client_without_gzip_gets_it_plain(client: Client) -> None:
    response = client.get(common_url(client))
    assert "Content-Encoding" not in response
    assert json.loads(response.content) == passwords.decisive_common_passwords()


def test_a_stale_address_gets_todays_list_and_may_not_keep_it(client: Client) -> None:
    response = client.get("/gestion-de-compte/mots-de-passe-courants/0123456789abcdef.json")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-cache"
    assert json.loads(response.content) == passwords.decisive_common_passwords()


def test_the_list_changes_address_with_the_rule(client: Client, settings: Any) -> None:
    before = common_url(client)
    settings.SEUIL_PASSWORD_MIN_LENGTH = 12
    assert common_url(client) != before


def test_without_the_common_check_there_is_nothing_to_fetch(client: Client, settings: Any) -> None:
    settings.SEUIL_PASSWORD_REFUSE_COMMON = False
    assert common_url(client) == ""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_checks_arrive_when_the_form_is_touched(
    page: Page, live_server: Any, make_person: Callable[..., Person]
) -> None:
    fetched: list[str] = []

    def note(request: Request) -> None:
        fetched.append(request.url)

    page.on("request", note)
    page.goto(live_server.url + PAGE)
    page.wait_for_load_state("networkidle")
    assert not [url for url in fetched if "zxcvbn" in url or "mots-de-passe-courants" in url]
    indicator = page.get_by_test_id("password-indicator")
    password = page.locator("#id_password1")
    # Typed before the checks are there, the rule is still checked live.
    page.route("**/vendor/zxcvbn*.js", lambda route: None)  # held: never answered
    password.press_sequentially(PASSWORD)
    expect(indicator).to_contain_text("en cours de chargement")
    expect(indicator).to_have_attribute("data-valid", "false")
    page.unroute("**/vendor/zxcvbn*.js")
    page.reload()
    password = page.locator("#id_password1")
    password.press_sequentially(PASSWORD)
    page.locator("#id_password2").press_sequentially(PASSWORD)
    expect(indicator).to_have_attribute("data-valid", "true")
    password.fill("")
    password.press_sequentially("Azertyuiop123")  # in the list, and meets the rule
    expect(indicator).to_contain_text("courant")
    assert [url for url in fetched if "mots-de-passe-courants" in url]
