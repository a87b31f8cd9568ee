"""Every page and every error state, on a 390 × 844 phone: nothing scrolls sideways, no id is
used twice, and axe-core finds no WCAG 2.1 AA violation. One walk through the whole site, as a
newcomer, a student, a signed-in person and an HR officer would take it."""

import re
from collections.abc import Callable, Iterator
from io import StringIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyotp
import pytest
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from playwright.sync_api import Browser, Page, expect

from seuil.accounts.models import Account
from seuil.people.models import Person
from seuil.recovery.tokens import reset_tokens
from seuil.sso.models import Service
from tests.conftest import PASSWORD, Inbox, need, text_of

if TYPE_CHECKING:
    from playwright.sync_api import ViewportSize

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PHONE: "ViewportSize" = {"width": 390, "height": 844}
FEED = """status;external_id;civility;first_name;last_name;birth_date;start_date;end_date;personal_email
administratif;80001;Mme;Éloïse;Lefèvre-Martin;14/03/1988;01/09/2026;;
etudiant;22600002;;Łukasz;Wałęsa;03/02/2006;01/09/2026;31/08/2027;lukasz.w@example.org
"""


@pytest.fixture
def phone(browser: Browser, live_server: Any, settings: Any) -> Iterator[Page]:
    """A phone-sized page able to take axe-core in (the CSP would block the injected script)."""
    need("axe-core", AXE.is_file(), "npm ci installs it (make test does)")
    settings.SEUIL_BASE_URL = live_server.url
    context = browser.new_context(
        locale="fr-FR", viewport=PHONE, bypass_csp=True, base_url=live_server.url
    )
    yield context.new_page()
    context.close()


@pytest.fixture
def problems(phone: Page) -> Callable[[str], None]:
    """Check the page as it stands, under a name for the report; collect what is wrong."""
    found: list[str] = []

    def check(name: str) -> None:
        phone.wait_for_load_state()
        wide = phone.evaluate("document.documentElement.scrollWidth")
        if wide > PHONE["width"]:
            found.append(f"{name}: {wide} px wide, scrolls sideways")
        duplicates = phone.evaluate(
            """() => { const ids = [...document.querySelectorAll('[id]')].map(e => e.id);
                       return [...new Set(ids.filter((id, i) => ids.indexOf(id) !== i))]; }"""
        )
        if duplicates:
            found.append(f"{name}: ids used twice {duplicates}")
        phone.add_script_tag(path=str(AXE))
        violations = phone.evaluate(
            """tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})
                 .then(r => r.violations.map(v => v.id + ' ' + JSON.stringify(v.nodes.map(n => n.target))))""",
            WCAG_21_AA,
        )
        found.extend(f"{name}: axe {v}" for v in violations)
        checked.append(name)

    checked: list[str] = []
    check.found = found  # type: ignore[attr-defined]
    check.checked = checked  # type: ignore[attr-defined]
    return check


@pytest.fixture
def site(
    make_person: Callable[..., Person],
    make_operator: Callable[..., Account],
    make_service: Callable[..., Service],
    tmp_path: Path,
) -> dict[str, str]:
    (tmp_path / "feed.csv").write_text(FEED)
    call_command("import_people", str(tmp_path / "feed.csv"), stdout=StringIO())
    out = StringIO()
    call_command("issue_sesame", "elefevre", stdout=out)
    make_service(description="Cours en ligne.", statuses=["enseignant-chercheur"])
    # A long name and address: what pushed the "Mon ENT" panel off a phone's screen.
    signed = make_person(status="enseignant-chercheur", first_name="Marie-Bérénice",
                         last_name="de La Tour-Maubourg-Villeneuve", password=PASSWORD).account  # fmt: skip
    signed.secret_question = "Dans quelle rue avez-vous grandi ?"
    signed.secret_answer = make_password("x y z")
    signed.recovery_email = "mb@example.org"
    signed.save()
    make_operator("it")  # it-test sees every page HR sees, and more
    return {"sesame": out.getvalue().splitlines()[-1], "login": signed.login}


def submit(page: Page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()
    page.wait_for_load_state()


def report(check: Callable[[str], None]) -> str:
    return "\n".join(check.found)  # type: ignore[attr-defined]


def test_the_public_pages_in_english(
    phone: Page, problems: Callable[[str], None], site: dict[str, str]
) -> None:
    phone.goto("/")
    phone.get_by_role("button", name="English").click()
    phone.wait_for_load_state()
    for path in ["/", "/charte/", "/gestion-de-compte/se-connecter/",
                 "/gestion-de-compte/validation-personnel/", "/gestion-de-compte/validation-etudiant/",
                 "/gestion-de-compte/mot-de-passe-oublie/"]:  # fmt: skip
        phone.goto(path)
        assert phone.locator("html").get_attribute("lang") == "en"
        problems(f"{path} (English)")
    assert report(problems) == ""


def test_public_pages_and_their_errors(
    phone: Page, problems: Callable[[str], None], site: dict[str, str]
) -> None:
    for path in ["/", "/charte/", "/page-qui-n-existe-pas/", "/gestion-de-compte/confirmer-mail/", "/gestion-de-compte/deverrouiller/",
                 "/gestion-de-compte/nouveau-mot-de-passe/", "/admin/login/"]:  # fmt: skip
        phone.goto(path)
        problems(path)
    phone.goto("/gestion-de-compte/se-connecter/")
    problems("sign-in")
    submit(phone, "Se connecter")
    problems("sign-in, empty")
    phone.locator("#id_login").fill("elefevre")
    phone.locator("#id_password").fill("wrong-password")
    submit(phone, "Se connecter")
    problems("sign-in, wrong password")
    phone.goto("/gestion-de-compte/mot-de-passe-oublie/")
    problems("forgotten password")
    submit(phone, "Continuer")
    problems("forgotten password, empty")
    phone.locator("#id_identifier").fill(site["login"])
    submit(phone, "Continuer")
    problems("forgotten password, sent")
    phone.goto("/gestion-de-compte/mot-de-passe-oublie/question/")
    problems("secret question")
    phone.locator("#id_answer").fill("wrong answer")
    submit(phone, "Valider")
    problems("secret question, wrong answer")
    assert report(problems) == ""


def test_the_staff_activation_its_errors_and_the_recap(
    phone: Page, problems: Callable[[str], None], site: dict[str, str]
) -> None:
    phone.goto("/gestion-de-compte/validation-personnel/")
    problems("activation")
    with phone.expect_navigation():  # past the page's own checks, to see the server's answer
        phone.evaluate("document.getElementById('activation-form').submit()")
    problems("activation, empty")
    phone.locator("#id_login").fill("elefevre")
    phone.locator("#id_sesame").fill(site["sesame"])
    phone.locator("#id_password1").fill("Soleil2024")
    phone.locator("#id_password2").fill("Soleil2024")
    phone.locator("#id_personal_email").fill("eloise@example.org")
    phone.locator("#id_charter").check()
    submit(phone, "Valider")
    problems("activation, refused password")
    phone.locator("#id_password1").fill(PASSWORD)
    phone.locator("#id_password2").fill(PASSWORD)
    if phone.locator("#id_sesame").count():
        phone.locator("#id_sesame").fill(site["sesame"])
    if not phone.locator("#id_charter").is_checked():
        phone.locator("#id_charter").check()
    submit(phone, "Valider")
    expect(phone.get_by_role("heading", name="Votre compte est activé")).to_be_visible()
    problems("recap")
    assert report(problems) == ""


def test_the_student_activation_and_its_errors(
    phone: Page, problems: Callable[[str], None], site: dict[str, str], smtp_server: Inbox
) -> None:
    phone.goto("/gestion-de-compte/validation-etudiant/")
    problems("student")
    submit(phone, "Recevoir mon code")
    problems("student, empty")
    phone.locator("#id_number").fill("22600002")
    phone.locator("#id_birth_date").fill("03/02/2006")
    submit(phone, "Recevoir mon code")
    problems("student, code")
    phone.locator("#id_code").fill("0000 0000")
    submit(phone, "Valider")
    problems("student, wrong code")
    [message] = smtp_server.wait_for(1)
    code = re.search(r"\b\d{4} \d{4}\b", text_of(message))
    assert code
    phone.locator("#id_code").fill(code.group(0))
    submit(phone, "Valider")
    problems("student, form")
    submit(phone, "Valider")
    problems("student, form, empty")
    assert report(problems) == ""


def test_signed_in_pages_and_their_errors(
    phone: Page, problems: Callable[[str], None], site: dict[str, str]
) -> None:
    phone.goto("/gestion-de-compte/se-connecter/")
    phone.locator("#id_login").fill(site["login"])
    phone.locator("#id_password").fill(PASSWORD)
    submit(phone, "Se connecter")
    problems("Mon ENT")
    phone.goto("/gestion-de-compte/changer-mon-mot-de-passe/")
    problems("change password")
    submit(phone, "Valider")
    problems("change password, empty")
    phone.goto("/gestion-de-compte/mes-informations-de-recuperation/")
    problems("recovery information")
    submit(phone, "Changer de mail personnel")
    problems("recovery information, e-mail errors")
    phone.goto("/gestion-de-compte/mes-informations-de-recuperation/")
    phone.locator("form").filter(has_text="question secrète").get_by_role("button").click()
    phone.wait_for_load_state()
    problems("recovery information, question errors")
    account = Account.objects.get(login=site["login"])
    uid = urlsafe_base64_encode(force_bytes(account.pk))
    phone.goto(f"/gestion-de-compte/nouveau-mot-de-passe/{uid}/{reset_tokens.make_token(account)}/")
    problems("new password by link")
    submit(phone, "Valider")
    problems("new password by link, empty")
    assert report(problems) == ""


def enrol_totp(phone: Page, problems: Callable[[str], None], name: str) -> pyotp.TOTP:
    """Add an authenticator application from Sécurité, as a person would, checking each page."""
    phone.goto("/gestion-de-compte/securite/application/")
    problems(f"{name}: authenticator application")
    submit(phone, "Valider")
    problems(f"{name}: authenticator application, empty")
    key = phone.locator("#totp-key").inner_text().replace(" ", "")
    totp = pyotp.TOTP(key)
    phone.get_by_label("Code à six chiffres").fill(totp.now())
    submit(phone, "Valider")
    expect(phone.get_by_role("heading", name="Vos codes de secours")).to_be_visible()
    problems(f"{name}: recovery codes")
    return totp


def test_the_hr_back_office(
    phone: Page, problems: Callable[[str], None], site: dict[str, str]
) -> None:
    """An operator's first sign-in walks them through enrolment; the admin opens after it."""
    phone.goto("/admin/login/")
    phone.locator("#id_login").fill("it-test")
    phone.locator("#id_password").fill(PASSWORD)
    submit(phone, "Se connecter")
    expect(phone.get_by_role("heading", name="Sécurité")).to_be_visible()
    problems("Sécurité, operator without a factor")
    phone.goto("/admin/people/person/")
    assert "/gestion-de-compte/securite/" in phone.url, "no admin page without a second factor"
    enrol_totp(phone, problems, "operator")
    person = Person.objects.get(external_id="80001")
    for path in ["/admin/", "/admin/people/person/", f"/admin/people/person/{person.pk}/change/",
                 "/admin/people/person/add/", "/admin/accounts/account/"]:  # fmt: skip
        phone.goto(path)
        assert phone.url.endswith(path), path
        problems(path)
    assert report(problems) == ""


def test_the_second_factor_pages_and_their_errors(
    phone: Page, problems: Callable[[str], None], site: dict[str, str]
) -> None:
    phone.goto("/gestion-de-compte/se-connecter/")
    phone.locator("#id_login").fill(site["login"])
    phone.locator("#id_password").fill(PASSWORD)
    submit(phone, "Se connecter")
    phone.goto("/gestion-de-compte/securite/")
    problems("Sécurité, no factor")
    phone.goto("/gestion-de-compte/second-facteur/requis/")
    problems("a factor is required")
    enrol_totp(phone, problems, "person")
    phone.goto("/gestion-de-compte/securite/")
    problems("Sécurité, with a factor")
    submit(phone, "Se déconnecter")
    phone.goto("/gestion-de-compte/se-connecter/")
    phone.locator("#id_login").fill(site["login"])
    phone.locator("#id_password").fill(PASSWORD)
    submit(phone, "Se connecter")
    problems("second factor")
    submit(phone, "Valider")
    problems("second factor, empty code")
    phone.locator("#id_recovery_code").fill("abcde-fghij")
    submit(phone, "Valider le code de secours")
    problems("second factor, wrong recovery code")
    phone.goto("/")
    phone.get_by_role("button", name="English").click()
    phone.goto("/gestion-de-compte/second-facteur/")
    problems("second factor (English)")
    assert report(problems) == ""
