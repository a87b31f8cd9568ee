"""Required fields and the charter are checked in the browser before anything is sent, in the
page's words, where the server would put its own messages."""

from typing import Any

import pytest
from playwright.sync_api import Page, Request, expect

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
URL = "/gestion-de-compte/validation-personnel/"


def test_an_unticked_charter_is_said_before_sending(page: Page, live_server: Any) -> None:
    posts: list[Request] = []
    page.on("request", lambda request: posts.append(request) if request.method == "POST" else None)
    page.goto(live_server.url + URL)
    page.locator("#id_login").fill("elefevre")
    page.locator("#id_sesame").fill("V0W7-Y2BG-EDMN-A")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.locator("#id_personal_email").fill("e@example.org")
    page.get_by_role("button", name="Valider").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Le formulaire comporte une erreur")
    expect(summary).to_contain_text("Cochez la case pour accepter la charte.")
    expect(summary).to_be_focused()
    expect(page.locator("#id_charter")).to_have_attribute("aria-invalid", "true")
    assert page.locator("#id_sesame").input_value() == "V0W7-Y2BG-EDMN-A", "nothing is lost"
    assert posts == [], "nothing was sent"
    summary.get_by_role("link").click()
    expect(page.locator("#id_charter")).to_be_focused()


def test_empty_required_fields_are_listed_and_cleared_once_filled(
    page: Page, live_server: Any
) -> None:
    page.goto(live_server.url + "/gestion-de-compte/se-connecter/")
    page.get_by_role("button", name="Se connecter", exact=True).click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Le formulaire comporte 2 erreurs")
    expect(summary).to_contain_text("Mot de passe : Ce champ est obligatoire.")
    page.locator("#id_login").fill("jdupont")
    page.get_by_role("button", name="Se connecter", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Le formulaire comporte une erreur")
    expect(page.locator("#id_login")).not_to_have_attribute("aria-invalid", "true")
