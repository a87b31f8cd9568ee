"""What the indicator says while a newcomer types, in Chromium: the password's own verdict comes
first, the name a login is made of is caught live, and on a phone the verdict stays next to the
field being typed."""

from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
URL = "/gestion-de-compte/validation-personnel/"


@pytest.fixture
def phone(browser: Browser, live_server: Any) -> Iterator[Page]:
    context = browser.new_context(
        locale="fr-FR", viewport={"width": 390, "height": 844}, base_url=live_server.url
    )
    yield context.new_page()
    context.close()


def test_a_valid_first_password_turns_green_before_the_confirmation(
    page: Page, live_server: Any
) -> None:
    page.goto(live_server.url + URL)
    indicator = page.get_by_test_id("password-indicator")
    expect(indicator).to_contain_text("Trop court : il faut au moins 9 caractères")
    page.locator("#id_password1").press_sequentially("Xk7pQ2mZ9")
    expect(indicator).to_have_attribute("data-valid", "true")
    expect(indicator.locator(".indicator__word")).to_have_text("conforme")
    expect(indicator).not_to_contain_text("La confirmation ne correspond pas")
    expect(indicator.locator(".indicator__match")).to_have_text(
        "Confirmation : retapez le mot de passe"
    )
    page.locator("#id_password2").press_sequentially("Xk7pQ2")
    expect(indicator.locator(".indicator__match")).to_contain_text("✗ La confirmation ne")
    expect(indicator).to_have_attribute("data-valid", "true")
    page.locator("#id_password2").press_sequentially("mZ9")
    expect(indicator.locator(".indicator__match")).to_have_text("✓ Confirmation identique")


def test_the_indicator_catches_the_name_the_typed_login_is_made_of(
    page: Page, live_server: Any
) -> None:
    """Lefevre2025Xq used to show green, then "Valider" refused it for the person's name."""
    page.goto(live_server.url + URL)
    indicator = page.get_by_test_id("password-indicator")
    page.locator("#id_password1").fill("Lefevre2025Xq")
    page.locator("#id_password1").dispatch_event("input")
    expect(indicator).to_have_attribute("data-valid", "true")
    page.locator("#id_login").press_sequentially("elefevre")
    expect(indicator).to_have_attribute("data-valid", "false")
    expect(indicator).to_contain_text("Il contient votre identifiant ou votre nom")


def test_a_guessable_password_is_told_why_in_french(page: Page, live_server: Any) -> None:
    page.goto(live_server.url + URL)
    page.locator("#id_password1").press_sequentially("Juillet1987")
    expect(page.get_by_test_id("password-indicator")).to_contain_text(
        "Trop facile à deviner : il contient une date ou une année"
    )


def test_on_a_phone_the_verdict_sits_under_the_first_password(phone: Page, tmp_path: Path) -> None:
    phone.goto(URL)
    first = phone.locator("#id_password1").bounding_box()
    indicator = phone.get_by_test_id("password-indicator").bounding_box()
    second = phone.locator("#id_password2").bounding_box()
    assert first
    assert indicator
    assert second
    assert first["y"] < indicator["y"] < second["y"], "the verdict comes before the confirmation"
    assert indicator["y"] - (first["y"] + first["height"]) < 120, "and right under the field"


def test_the_letter_states_the_real_rule(tmp_path: Path) -> None:
    (tmp_path / "feed.csv").write_text(
        "status;external_id;first_name;last_name;birth_date;start_date\n"
        "administratif;80001;Éloïse;Lefèvre-Martin;1988-03-14;2026-09-01\n"
    )
    call_command("import_people", str(tmp_path / "feed.csv"), stdout=StringIO())
    call_command("issue_sesame", "elefevre", "--letter", str(tmp_path / "l.pdf"), stdout=StringIO())
    text = " ".join(PdfReader(tmp_path / "l.pdf").pages[0].extract_text().split())
    assert "au moins 9 caractères (15 au plus)" in text
    assert "entre 6 et 15" not in text
