"""The journeys in a real browser (headless Debian Chromium, driven by Playwright), with the
page's CSP enforced: what a form that passes Django's test client can still get wrong."""

import re
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from playwright.sync_api import Locator, Page, Request, expect

from seuil.accounts.models import Account
from seuil.people.models import Person
from tests.conftest import PASSWORD, Inbox, text_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
FEED = """status;external_id;civility;first_name;last_name;birth_date;start_date;personal_email
administratif;80001;Mme;Éloïse;Lefèvre-Martin;14/03/1988;01/09/2026;eloise.lm@example.org
"""


@pytest.fixture
def site(live_server: Any, settings: Any) -> str:
    settings.SEUIL_BASE_URL = live_server.url
    return str(live_server.url)


@pytest.fixture
def console_errors(page: Page) -> list[str]:
    """Every error the page logs: a script blocked by the CSP shows up here."""
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def field(page: Page, label: str) -> Locator:
    """The form control a label names (not the "Afficher" button beside it)."""
    return page.locator("input, select").and_(page.get_by_label(label))


def sesame_for(login: str, tmp_path: Path) -> str:
    (tmp_path / "feed.csv").write_text(FEED)
    call_command("import_people", str(tmp_path / "feed.csv"), stdout=StringIO())
    out = StringIO()
    call_command("issue_sesame", login, stdout=out)
    return out.getvalue().splitlines()[-1]


def test_staff_activation_with_the_live_indicator(
    page: Page, site: str, tmp_path: Path, console_errors: list[str], smtp_server: Inbox
) -> None:
    sesame = sesame_for("elefevre", tmp_path)
    page.goto(site + "/")
    page.get_by_role("link", name="Validation Personnel").first.click()
    indicator = page.get_by_test_id("password-indicator")
    expect(indicator).to_have_attribute("data-valid", "false")
    page.wait_for_load_state("load")  # the indicator's script is deferred: typing waits for it
    field(page, "Identifiant").fill("elefevre")
    field(page, "Mot de passe provisoire").fill(sesame)
    password = page.locator("#id_password1")
    password.press_sequentially("azerty")
    expect(indicator).to_have_attribute("data-valid", "false")
    expect(indicator).to_contain_text("non conforme")
    password.fill("")
    password.press_sequentially("Lbmx4kr7Té")
    expect(indicator).to_contain_text("Il contient un accent (« é »)")
    password.fill("")
    password.press_sequentially(PASSWORD)
    field(page, "Confirmation du nouveau mot de passe").press_sequentially(PASSWORD)
    expect(indicator).to_have_attribute("data-valid", "true")
    expect(indicator).to_contain_text("conforme")
    field(page, "Mail personnel").fill("eloise.lm@example.org")
    field(page, "Je m'engage à respecter la charte").check()
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_role("heading", name="Votre compte est activé")).to_be_visible()
    expect(page.get_by_text("eloise.lefevre-martin@univ-montp3.fr")).to_be_visible()
    assert console_errors == []
    # The notice and the confirmation reach the SMTP server, without a secret.
    messages = smtp_server.wait_for(2)
    assert sorted(str(m["Subject"]).strip() for m in messages) == [
        "Confirmez votre mail personnel / Confirm your personal e-mail",
        "Votre compte ENT est activé / Your ENT account is activated",
    ]
    assert all(str(m["To"]) == "eloise.lm@example.org" for m in messages)
    for message in messages:
        assert PASSWORD not in message.as_string()
        assert sesame not in message.as_string()
    confirmation = next(m for m in messages if "Confirm" in str(m["Subject"]))
    link = re.search(r"https?://\S+/gestion-de-compte/confirmer-mail/\S+/", text_of(confirmation))
    assert link
    # The link confirms the personal address after a button, not on opening; the token leaves
    # the address bar.
    page.goto(link.group(0))
    assert page.url == site + "/gestion-de-compte/confirmer-mail/"
    page.get_by_role("button", name="Confirmer mon mail personnel").click()
    expect(page.get_by_text("est confirmé")).to_be_visible()
    account = Account.objects.get(login="elefevre")
    assert account.recovery_email == "eloise.lm@example.org"
    assert account.check_password(PASSWORD)


def test_no_request_carries_the_password_before_valider(
    page: Page, site: str, tmp_path: Path
) -> None:
    sesame = sesame_for("elefevre", tmp_path)
    secret = PASSWORD
    seen: list[Request] = []
    page.on("request", lambda request: seen.append(request))
    page.goto(site + "/gestion-de-compte/validation-personnel/")
    field(page, "Identifiant").fill("elefevre")
    field(page, "Mot de passe provisoire").fill(sesame)
    page.locator("#id_password1").press_sequentially(secret)
    field(page, "Confirmation du nouveau mot de passe").press_sequentially(secret)
    field(page, "Mail personnel").fill("eloise.lm@example.org")
    page.wait_for_timeout(300)
    before = list(seen)
    assert all(secret not in (request.url + (request.post_data or "")) for request in before)
    assert all(request.method == "GET" for request in before)
    field(page, "Je m'engage à respecter la charte").check()
    page.get_by_role("button", name="Valider").click()
    page.wait_for_load_state()
    posts = [request for request in seen if request.method == "POST"]
    assert len(posts) == 1
    assert secret in (posts[0].post_data or ""), "it leaves with Valider, and only then"


def sign_in(page: Page, site: str, password: str = PASSWORD) -> None:
    page.goto(site + "/")
    page.get_by_role("link", name="Se connecter").first.click()
    field(page, "Identifiant").fill("jdupont")
    page.locator("#id_password").fill(password)
    page.get_by_role("button", name="Se connecter").click()


def test_sign_in_portal_and_sign_out(
    page: Page, site: str, researcher: Account, console_errors: list[str]
) -> None:
    sign_in(page, site)
    expect(page.get_by_role("heading", name="Mon ENT")).to_be_visible()
    expect(page.get_by_role("link", name="Archive ouverte")).to_have_attribute(
        "href", "https://archive.univ-montp3.fr/"
    )
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("link", name="Se connecter").first).to_be_visible()
    page.goto(site + "/mon-ent/")
    assert "/gestion-de-compte/se-connecter/" in page.url
    assert console_errors == []


def test_change_of_password(page: Page, site: str, researcher: Account, smtp_server: Inbox) -> None:
    sign_in(page, site)
    page.get_by_role("link", name="Changer mon mot de passe").click()
    field(page, "Mot de passe actuel").fill(PASSWORD)
    page.locator("#id_password1").press_sequentially("Zq8vNw3kLp")
    field(page, "Confirmation du nouveau mot de passe").press_sequentially("Zq8vNw3kLp")
    expect(page.get_by_test_id("password-indicator")).to_have_attribute("data-valid", "true")
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_text("Votre mot de passe est changé")).to_be_visible()
    assert "a été changé" in text_of(smtp_server.wait_for(1)[0])


def test_forgotten_password_through_the_mailed_link(
    page: Page, site: str, researcher: Account, smtp_server: Inbox
) -> None:
    page.goto(site + "/")
    page.get_by_role("link", name="Mot de passe oublié").first.click()
    field(page, "Identifiant ou adresse de messagerie universitaire").fill("jdupont")
    page.get_by_role("button", name="Continuer").click()
    expect(page.get_by_text("Si ce compte existe")).to_be_visible()
    match = re.search(
        r"https?://\S+/nouveau-mot-de-passe/\S+/\S+/", text_of(smtp_server.wait_for(1)[0])
    )
    assert match
    page.goto(match.group(0))
    assert page.url.endswith("/gestion-de-compte/nouveau-mot-de-passe/")
    page.locator("#id_password1").press_sequentially("Zq8vNw3kLp")
    field(page, "Confirmation du nouveau mot de passe").press_sequentially("Zq8vNw3kLp")
    expect(page.get_by_test_id("password-indicator")).to_have_attribute("data-valid", "true")
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_role("heading", name="Mot de passe changé")).to_be_visible()
    sign_in(page, site, "Zq8vNw3kLp")
    expect(page.get_by_role("heading", name="Mon ENT")).to_be_visible()


def test_the_students_path(
    page: Page, site: str, make_person: Callable[..., Person], smtp_server: Inbox
) -> None:
    make_person(status="etudiant", external_id="22600001", first_name="Zoë", last_name="Brontë",
                personal_email="zoe.bronte@example.org")  # fmt: skip
    page.goto(site + "/")
    page.get_by_role("link", name="Validation Étudiant").first.click()
    field(page, "Numéro d'étudiant").fill("22600001")
    field(page, "Date de naissance").fill("12/05/1980")
    page.get_by_role("button", name="Recevoir mon code").click()
    expect(page.get_by_text("z***@example.org")).to_be_visible()
    code = re.search(r"\b\d{4} \d{4}\b", text_of(smtp_server.wait_for(1)[0]))
    assert code
    field(page, "Code reçu par mail").fill(code.group(0))
    page.get_by_role("button", name="Valider").click()
    expect(field(page, "Mail personnel")).to_have_value("zoe.bronte@example.org")
    page.locator("#id_password1").press_sequentially(PASSWORD)
    field(page, "Confirmation du nouveau mot de passe").press_sequentially(PASSWORD)
    expect(page.get_by_test_id("password-indicator")).to_have_attribute("data-valid", "true")
    field(page, "Je m'engage à respecter la charte").check()
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_role("heading", name="Votre compte est activé")).to_be_visible()
    expect(page.get_by_text("zoe.bronte@etu.univ-montp3.fr")).to_be_visible()
    assert "Votre compte ENT est activé" in str(smtp_server.wait_for(2)[1]["Subject"])
    account = Person.objects.get(external_id="22600001").account
    assert account.recovery_email == "zoe.bronte@example.org", "the code proved the address"
    assert account.check_password(PASSWORD)


def test_the_page_is_english_when_the_browser_asks(browser: Any, site: str) -> None:
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.goto(site + "/gestion-de-compte/validation-personnel/")
    expect(page.get_by_role("heading", name="Staff activation")).to_be_visible()
    expect(field(page, "Temporary password")).to_be_visible()
    context.close()


def test_an_answer_hash_is_never_what_the_page_shows(
    page: Page, site: str, make_person: Callable[..., Person]
) -> None:
    account = make_person(first_name="Paul", last_name="Roux", password=PASSWORD).account
    account.secret_question, account.secret_answer = (
        "Dans quelle rue avez-vous grandi ?",
        make_password("rue des lilas"),
    )
    account.save()
    page.goto(site + "/gestion-de-compte/mot-de-passe-oublie/")
    field(page, "Identifiant ou adresse de messagerie universitaire").fill("proux")
    page.get_by_role("button", name="Continuer").click()
    page.get_by_role("link", name="J'ai choisi une question secrète").click()
    expect(page.get_by_label("Votre question secrète")).to_be_visible()
    assert "argon2" not in page.content()


def test_issuing_a_letter_says_it_is_done_and_leaves_no_live_button(
    page: Page, site: str, make_person: Callable[..., Person], console_errors: list[str]
) -> None:
    from django.contrib.auth.models import Permission
    from django.test import Client

    from seuil.activation.models import Sesame

    newcomer = make_person(first_name="Anne", last_name="Martin")
    officer = Account.objects.create_superuser("rh-lettres", PASSWORD)
    officer.is_superuser = False
    officer.save()
    officer.user_permissions.set(
        Permission.objects.filter(codename__in=["view_person", "change_person", "add_sesame"])
    )
    client = Client()
    client.force_login(officer)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": site}]
    )
    page.goto(f"{site}/admin/people/person/{newcomer.pk}/change/")
    page.get_by_role("button", name="Émettre un Sésame").click()
    # The confirmation page's script is deferred: a click before it runs posts the form plainly
    # (a download and no status, the page's behaviour without JavaScript). CI's busy machine
    # clicked that early once; the heading says the new page is there, its load that the script ran.
    expect(
        page.get_by_role("heading", name="Émettre un Sésame et imprimer la lettre")
    ).to_be_visible()
    page.wait_for_load_state("load")
    with page.expect_download() as download:
        page.get_by_role("button", name="Émettre et imprimer la lettre").click()
    assert download.value.suggested_filename.startswith("sesames-")
    expect(page.get_by_role("status")).to_contain_text("C'est fait")
    expect(page.get_by_role("status")).to_contain_text(
        "Le Sésame n'est affiché nulle part ailleurs"
    )
    expect(page.get_by_role("button", name="Émettre et imprimer la lettre")).to_be_hidden()
    assert Sesame.objects.filter(account=newcomer.account).count() == 1
    # The admin has no favicon (a 404 the console reports); no script may be refused.
    assert [e for e in console_errors if "404" not in e] == []
