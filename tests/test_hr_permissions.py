"""HR operators: the "RH" group registers people and hands out Sésames, and does nothing more."""

from collections.abc import Callable
from datetime import date
from io import BytesIO, StringIO

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.test import Client, override_settings
from pypdf import PdfReader

from seuil.accounts.models import Account
from seuil.accounts.models.account import OperatorAccountRefused
from seuil.activation.models import Sesame
from seuil.audit.models import AuditEvent
from seuil.people.models import Person
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_the_rh_group_holds_exactly_what_hr_needs() -> None:
    permissions = {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Group.objects.get(name="RH").permissions.all()
    }
    assert permissions == {
        "people.view_person", "people.add_person", "people.change_person", "accounts.view_account",
        "activation.view_sesame", "activation.add_sesame", "activation.view_charteracceptance",
        "audit.view_auditevent", "accounts.lock_account",
    }  # fmt: skip


def test_hr_issues_sesames_and_gets_the_letters(
    hr: Client, make_person: Callable[..., Person]
) -> None:
    people = [make_person(first_name="Anne"), make_person(first_name="Paul")]
    response = hr.post(
        "/admin/people/person/",
        {"action": "issue_sesames", "_selected_action": [p.pk for p in people], "apply": "1"},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    reader = PdfReader(BytesIO(response.content))
    assert len(reader.pages) == 2
    code = next(
        line for line in reader.pages[0].extract_text().splitlines() if line.count("-") == 3
    )
    assert Sesame.objects.verify("adupont", code.strip()) is not None
    event = AuditEvent.objects.filter(action="sesame-issued").first()
    assert event is not None
    assert event.actor == "rh-test"
    assert Sesame.objects.filter(issued_by__login="rh-test").count() == 2


def test_hr_registers_and_searches_people(hr: Client, make_person: Callable[..., Person]) -> None:
    make_person(first_name="Éloïse", last_name="Lefèvre-Martin")
    assert hr.get("/admin/people/person/add/").status_code == 200
    listing = hr.get("/admin/people/person/", {"q": "elefevre"}).content.decode()
    assert "eloise.lefevre-martin@univ-montp3.fr" in listing
    assert "Créé, en attente d&#x27;activation" in listing, "the state in words"
    assert "SupannCree" not in listing


@pytest.mark.parametrize(
    "url",
    ["/admin/auth/group/", "/admin/accounts/account/add/", "/admin/mailer/outgoingmail/"],
)
def test_hr_cannot_manage_operators_groups_or_mail(hr: Client, url: str) -> None:
    assert hr.get(url).status_code == 403


def test_hr_never_sees_or_sets_a_password(hr: Client, make_person: Callable[..., Person]) -> None:
    person = make_person()
    page = hr.get(f"/admin/accounts/account/{person.account.pk}/change/")
    assert page.status_code == 200
    assert hr.get(f"/admin/accounts/account/{person.account.pk}/password/").status_code == 403


def test_staff_without_the_permission_is_not_offered_the_action(
    client: Client, make_person: Callable[..., Person], make_operator: Callable[..., Account]
) -> None:
    client.force_login(make_operator("limited", permissions=["view_person"]))
    person = make_person()
    assert "issue_sesames" not in client.get("/admin/people/person/").content.decode()
    response = client.post(
        "/admin/people/person/", {"action": "issue_sesames", "_selected_action": [person.pk]}
    )
    assert response.status_code in (200, 302)
    assert not Sesame.objects.exists()


def test_issuing_asks_first_and_warns_for_an_active_account(
    hr: Client, make_person: Callable[..., Person]
) -> None:
    newcomer, active = make_person(first_name="Anne"), make_person(password=PASSWORD)
    page = hr.get(f"/admin/people/person/{newcomer.pk}/change/").content.decode()
    assert "Émettre un Sésame" in page, "a button on the person's page"
    asked = hr.post("/admin/people/person/",
                    {"action": "issue_sesames", "_selected_action": [newcomer.pk]})  # fmt: skip
    assert asked["Content-Type"].startswith("text/html")
    assert "Émettre et imprimer la lettre" in asked.content.decode()
    assert "déjà activé" not in asked.content.decode()
    assert not Sesame.objects.exists(), "nothing issued before the confirmation"
    warned = hr.post("/admin/people/person/",
                     {"action": "issue_sesames", "_selected_action": [active.pk]}).content.decode()  # fmt: skip
    assert "Attention : compte déjà activé." in warned
    assert "Émettre quand même et imprimer" in warned
    assert not Sesame.objects.exists()


# --- HR acts on people's accounts only: operators' are IT's -----------------------------------


@pytest.fixture
def rh_demo() -> Client:
    """The demo's own HR operator, as `make run` creates it."""
    with override_settings(DEBUG=True):
        call_command("load_demo", stdout=StringIO())
    client = Client()
    client.force_login(Account.objects.get(login="rh-demo"))
    return client


@pytest.fixture
def colleague_in_it(make_person: Callable[..., Person]) -> Person:
    """A person (a staff member with an ENT account) who also holds an operator permission."""
    person = make_person(first_name="Ines", last_name="Technicienne", password=PASSWORD)
    person.account.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    return person


def test_hr_cannot_lock_an_it_superuser_through_the_admin(rh_demo: Client) -> None:
    it = Account.objects.get(login="admin-demo")
    for step in ({}, {"apply": "1", "reason": "essai"}):
        response = rh_demo.post(
            "/admin/accounts/account/",
            {"action": "lock", "_selected_action": [it.pk], **step},
            follow=True,
        )
        assert response.status_code == 200
    it.refresh_from_db()
    assert it.locked_at is None
    assert not AuditEvent.objects.filter(action="locked").exists()
    listing = rh_demo.get("/admin/accounts/account/").content.decode()
    assert "admin-demo" not in listing, "HR's list of accounts holds people's accounts only"


def test_hr_cannot_lock_or_issue_a_sesame_for_a_person_with_operator_rights(
    rh_demo: Client, colleague_in_it: Person
) -> None:
    account = colleague_in_it.account
    selected = {"_selected_action": [colleague_in_it.pk]}
    letter = rh_demo.post(
        "/admin/people/person/", {"action": "issue_sesames", **selected}, follow=True
    )
    assert letter["Content-Type"].startswith("text/html"), "no letter"
    assert "droits d&#x27;opérateur" in letter.content.decode()
    assert not Sesame.objects.filter(account=account).exists()
    rh_demo.post(
        "/admin/people/person/",
        {"action": "lock", "apply": "1", "reason": "essai", **selected},
    )
    account.refresh_from_db()
    assert account.locked_at is None


def test_hr_still_acts_on_people_accounts(
    rh_demo: Client, make_person: Callable[..., Person]
) -> None:
    person = make_person(first_name="Anne")
    rh_demo.post(
        "/admin/people/person/",
        {"action": "lock", "apply": "1", "reason": "départ", "_selected_action": [person.pk]},
    )
    person.account.refresh_from_db()
    assert person.account.locked_at is not None


def test_the_model_refuses_hr_outside_the_admin_too(
    colleague_in_it: Person, rh_demo: Client
) -> None:
    hr_operator = Account.objects.get(login="rh-demo")
    it = Account.objects.get(login="admin-demo")
    with pytest.raises(OperatorAccountRefused):
        Sesame.issue(colleague_in_it.account, by=hr_operator)
    with pytest.raises(OperatorAccountRefused):
        it.lock("essai", by=hr_operator)
    with pytest.raises(OperatorAccountRefused):
        Account.objects.get(login="rh-demo").lock("essai", by=hr_operator)
    it.lock("incident", by=it)  # IT may: its own superusers act on operator accounts
    it.unlock(by=it)
    Sesame.issue(colleague_in_it.account, by=it)


def person_form(person: Person, **changes: object) -> dict[str, object]:
    """The Person change form as the admin posts it, with `changes` applied."""
    fields = ("external_id", "status", "civility", "first_name", "last_name", "birth_name",
              "birth_date", "start_date", "end_date", "personal_email")  # fmt: skip
    data = {name: getattr(person, name) or "" for name in fields}
    return {**data, **changes}


def test_hr_cannot_change_or_end_the_person_of_an_operator(
    rh_demo: Client, colleague_in_it: Person
) -> None:
    url = f"/admin/people/person/{colleague_in_it.pk}/change/"
    for changes in ({"end_date": "2026-09-02"}, {"last_name": "Autre"}):
        page = rh_demo.post(url, person_form(colleague_in_it, **changes))
        assert page.status_code == 200, "the form is shown again, with the refusal"
        assert "droits d&#x27;opérateur" in page.content.decode()
    colleague_in_it.refresh_from_db()
    assert (colleague_in_it.end_date, colleague_in_it.last_name) == (None, "Technicienne")
    assert colleague_in_it.account.is_active, "not expired: the purge cannot follow either"
    assert not AuditEvent.objects.filter(action="person-changed").exists()


def test_it_may_end_an_operator_and_hr_a_person(
    rh_demo: Client, colleague_in_it: Person, make_person: Callable[..., Person]
) -> None:
    anne = make_person(first_name="Anne")
    hr_page = rh_demo.post(
        f"/admin/people/person/{anne.pk}/change/", person_form(anne, end_date="2026-09-02")
    )
    assert hr_page.status_code == 302
    it = Client()
    it.force_login(Account.objects.get(login="admin-demo"))
    it_page = it.post(
        f"/admin/people/person/{colleague_in_it.pk}/change/",
        person_form(colleague_in_it, end_date="2026-09-02"),
    )
    assert it_page.status_code == 302
    anne.refresh_from_db()
    colleague_in_it.refresh_from_db()
    assert anne.end_date == colleague_in_it.end_date == date(2026, 9, 2)


# --- The letter's download says it is done; a second issue within minutes is asked for ------


def test_a_second_issue_within_minutes_is_asked_for_explicitly(
    hr: Client, make_person: Callable[..., Person]
) -> None:
    person = make_person()
    issue = {"action": "issue_sesames", "_selected_action": [person.pk], "apply": "1"}
    first = hr.post("/admin/people/person/", issue)
    assert first["Content-Type"] == "application/pdf"
    printed = Sesame.objects.get(account=person.account)

    again = hr.post("/admin/people/person/", issue)  # the same button, clicked a second time

    assert again["Content-Type"].startswith("text/html"), "no second letter without asking"
    page = again.content.decode()
    assert "un Sésame a été émis il y a moins de 15 minutes" in page
    assert "la lettre déjà imprimée : elle ne vaudra plus rien" in page
    assert 'name="again"' in page
    assert "Émettre à nouveau et imprimer" in page
    assert Sesame.objects.live().get(account=person.account) == printed, "still the printed one"

    explicit = hr.post("/admin/people/person/", {**issue, "again": "1"})
    assert explicit["Content-Type"] == "application/pdf"
    assert Sesame.objects.live().get(account=person.account) != printed


def test_the_confirmation_page_holds_what_it_says_once_the_letter_is_downloaded(
    hr: Client, make_person: Callable[..., Person]
) -> None:
    person = make_person()
    page = hr.post(
        "/admin/people/person/", {"action": "issue_sesames", "_selected_action": [person.pk]}
    ).content.decode()
    assert '<div id="sesame-done" role="status" hidden>' in page
    assert "est fait : le Sésame est émis et sa lettre téléchargée (PDF)." in page
    assert "est affiché nulle part ailleurs : imprimez la lettre" in page
    assert "seuil/sesame.js" in page
