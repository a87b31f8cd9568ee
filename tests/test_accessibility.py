"""WCAG 2.1 AA: axe-core finds no violation on the pages people meet, and a keyboard alone
activates an account."""

from collections.abc import Callable, Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from playwright.sync_api import Browser, Page, expect

from seuil.accounts.links import unlock_token
from seuil.audit.models import Action
from seuil.people.models import Person
from seuil.security import throttle
from seuil.sso.models import Service
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture
def audited(browser: Browser, live_server: Any) -> Iterator[Page]:
    """A page able to take axe-core in: the CSP would block the injected script, rightly."""
    from tests.conftest import need

    need("axe-core", AXE.is_file(), "npm ci installs it (make test does)")
    context = browser.new_context(locale="fr-FR", bypass_csp=True, base_url=live_server.url)
    page = context.new_page()
    yield page
    context.close()


def violations(page: Page, path: str) -> list[str]:
    page.goto(path)
    page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}}).then(r => r.violations)",
        WCAG_21_AA,
    )
    return [
        f"{path}: {v['id']} ({v['impact']}) on {[n['target'] for n in v['nodes']]}" for v in found
    ]


@pytest.fixture
def people(make_person: Callable[..., Person], make_service: Callable[..., Service]) -> Person:
    make_service(description="Cours en ligne.", statuses=["enseignant"])
    teacher = make_person(status="enseignant", password=PASSWORD)
    question = make_person(first_name="Paul", last_name="Roux", password=PASSWORD).account
    question.secret_question, question.secret_answer = (
        "Dans quelle rue avez-vous grandi ?",
        make_password("x y z"),
    )
    question.save()
    make_person(status="etudiant", external_id="22600001", personal_email="zoe@example.org")
    return teacher


def test_public_pages_have_no_violation(audited: Page, people: Person) -> None:
    found = []
    for path in ["/", "/gestion-de-compte/validation-personnel/", "/gestion-de-compte/se-connecter/",
                 "/gestion-de-compte/mot-de-passe-oublie/", "/gestion-de-compte/validation-etudiant/", "/charte/"]:  # fmt: skip
        found += violations(audited, path)
    assert found == []


def test_the_unlock_page_has_no_violation(audited: Page, people: Person) -> None:
    login = people.account.login
    for _ in range(5):
        throttle.attempt(login, lambda: None, action=Action.SIGN_IN, ip="192.0.2.1")
    until = throttle.lock_end(login, "192.0.2.0/24")
    assert until is not None
    token = unlock_token(login=login, network="192.0.2.0/24", until=until)
    found = violations(audited, f"/gestion-de-compte/deverrouiller/{token}/")
    expect(audited.get_by_role("button", name="Déverrouiller mon compte")).to_be_visible()
    audited.get_by_role("button", name="Déverrouiller mon compte").click()
    expect(audited.get_by_text("Votre compte est déverrouillé")).to_be_visible()
    found += violations(audited, "/gestion-de-compte/deverrouiller/")  # the link has served
    expect(audited.get_by_text("Ce lien n'est plus valable")).to_be_visible()
    assert found == []


def test_forms_showing_their_errors_have_no_violation(audited: Page, people: Person) -> None:
    audited.goto("/gestion-de-compte/validation-personnel/")
    audited.get_by_role("button", name="Valider").click()
    expect(audited.get_by_role("alert")).to_be_visible()
    audited.add_script_tag(path=str(AXE))
    found = audited.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}}).then(r => r.violations.map(v => v.id))",
        WCAG_21_AA,
    )
    assert found == []


def test_the_recap_portal_and_recovery_pages_have_no_violation(
    audited: Page, people: Person, tmp_path: Path
) -> None:
    found = []
    # The recap, after a real activation.
    (tmp_path / "feed.csv").write_text("status;external_id;first_name;last_name;birth_date;start_date\n"
                                       "administratif;80001;Éloïse;Lefèvre-Martin;1988-03-14;2026-09-01\n")  # fmt: skip
    call_command("import_people", str(tmp_path / "feed.csv"), stdout=StringIO())
    out = StringIO()
    call_command("issue_sesame", "elefevre", stdout=out)
    audited.goto("/gestion-de-compte/validation-personnel/")
    audited.locator("#id_login").fill("elefevre")
    audited.locator("#id_sesame").fill(out.getvalue().splitlines()[-1])
    audited.locator("#id_password1").fill(PASSWORD)
    audited.locator("#id_password2").fill(PASSWORD)
    audited.locator("#id_personal_email").fill("e@example.org")
    audited.locator("#id_charter").check()
    audited.get_by_role("button", name="Valider").click()
    expect(audited.get_by_role("heading", name="Votre compte est activé")).to_be_visible()
    audited.add_script_tag(path=str(AXE))
    found += audited.evaluate(
        "t => axe.run(document, {runOnly: {type: 'tag', values: t}}).then(r => r.violations.map(v => v.id))",
        WCAG_21_AA,
    )
    # Forgotten password: the generic answer and the question.
    audited.goto("/gestion-de-compte/mot-de-passe-oublie/")
    audited.locator("#id_identifier").fill("proux")
    audited.get_by_role("button", name="Continuer").click()
    found += violations(audited, "/gestion-de-compte/mot-de-passe-oublie/envoye/")
    found += violations(audited, "/gestion-de-compte/mot-de-passe-oublie/question/")
    # Signed in: the portal, the password change, the recovery information.
    audited.goto("/gestion-de-compte/se-connecter/")
    audited.locator("#id_login").fill(people.account.login)
    audited.locator("#id_password").fill(PASSWORD)
    audited.get_by_role("button", name="Se connecter").click()
    for path in [
        "/mon-ent/",
        "/gestion-de-compte/changer-mon-mot-de-passe/",
        "/gestion-de-compte/mes-informations-de-recuperation/",
    ]:
        found += violations(audited, path)
    assert found == []


def test_a_keyboard_alone_activates_an_account(
    page: Page, live_server: Any, tmp_path: Path
) -> None:
    """Tab to move, type the values, Space to tick the charter, Enter to send: nothing else."""
    (tmp_path / "feed.csv").write_text("status;external_id;first_name;last_name;birth_date;start_date\n"
                                       "administratif;80001;Éloïse;Lefèvre-Martin;1988-03-14;2026-09-01\n")  # fmt: skip
    call_command("import_people", str(tmp_path / "feed.csv"), stdout=StringIO())
    out = StringIO()
    call_command("issue_sesame", "elefevre", stdout=out)
    sesame = out.getvalue().splitlines()[-1]
    page.goto(live_server.url + "/gestion-de-compte/validation-personnel/")

    def tab_to(target: str) -> None:
        for _ in range(40):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == target:
                outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
                assert outline != "none", f"no visible focus on {target}"
                return
        raise AssertionError(f"Tab never reaches #{target}")

    for target, value in [("id_login", "elefevre"), ("id_sesame", sesame), ("id_password1", PASSWORD),
                          ("id_password2", PASSWORD), ("id_personal_email", "e@example.org")]:  # fmt: skip
        tab_to(target)
        page.keyboard.type(value)
    expect(page.get_by_test_id("password-indicator")).to_have_attribute("data-valid", "true")
    tab_to("id_charter")
    page.keyboard.press("Space")
    assert page.locator("#id_charter").is_checked()
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.type === 'submit'"):
            break
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Votre compte est activé")).to_be_visible()
