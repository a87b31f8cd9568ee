"""`seuil load_demo`, which `make run` calls on every start."""

import re
from io import StringIO

import pyotp
import pytest
from django.core.management import CommandError, call_command
from django.test import Client, override_settings

from seuil.accounts.models import Account
from seuil.people.models import Person
from seuil.sso.models import Service

pytestmark = pytest.mark.django_db


@override_settings(DEBUG=True)
def test_it_loads_people_and_an_operator_and_is_idempotent() -> None:
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert out.getvalue().strip().endswith("démo : 8 créées, 0 mises à jour, 0 inchangées")
    again = StringIO()
    call_command("load_demo", stdout=again)
    assert again.getvalue().strip().endswith("démo : 0 créées, 0 mises à jour, 8 inchangées")
    assert Person.objects.count() == 8
    assert not Service.objects.filter(name_en="").exists(), "every demo service has English"
    assert Service.objects.get(name="Espace de cours").name_en == "Courses"
    assert {p.status for p in Person.objects.all()} == {
        "administratif",
        "enseignant",
        "enseignant-chercheur",
        "etudiant",
    }


@override_settings(DEBUG=True)
def test_the_printed_operator_password_opens_the_admin() -> None:
    out = StringIO()
    call_command("load_demo", stdout=out)
    password = out.getvalue().split("admin-demo / ")[1].split()[0]
    client = Client()
    assert client.login(username="admin-demo", password=password)
    # The admin asks for a second factor first (docs/mfa.md); once one is added, it opens.
    assert client.get("/admin/people/person/")["Location"].startswith(
        "/gestion-de-compte/securite/"
    )
    page = client.get("/gestion-de-compte/securite/application/").content.decode()
    key = re.search(r'id="totp-key" class="key">([A-Z2-7 ]+)<', page)
    assert key
    client.post(
        "/gestion-de-compte/securite/application/",
        {"code": pyotp.TOTP(key.group(1).replace(" ", "")).now()},
    )
    assert client.get("/admin/people/person/").status_code == 200
    assert Account.objects.get(login="admin-demo").is_superuser


@override_settings(DEBUG=True)
def test_a_dry_run_writes_nothing() -> None:
    out = StringIO()
    call_command("load_demo", "--dry-run", stdout=out)
    assert "essai : rien n'a été écrit" in out.getvalue()
    assert not Person.objects.exists()
    assert not Account.objects.exists()


def test_it_refuses_to_run_in_production() -> None:
    with pytest.raises(CommandError, match="SEUIL_DEBUG=true"):
        call_command("load_demo")


@override_settings(DEBUG=True)
def test_every_run_prints_something_that_works_or_how_to_start_again() -> None:
    """The second run used to print "Sésame : —" and a student already activated."""
    from seuil.activation.models import Sesame

    seen = []
    for _ in range(5):
        out = StringIO()
        call_command("load_demo", stdout=out)
        text = out.getvalue()
        if "Identifiant: " not in text:
            assert "Tous les personnels de la démo ont activé leur compte" in text
            assert "rm var/seuil.sqlite3 && make run" in text
            break
        login = text.split("Identifiant: ")[1].split()[0]
        sesame = text.split("(Sésame): ")[1].split()[0]
        assert Sesame.objects.verify(login, sesame) is not None, "the printed Sésame works"
        seen.append(login)
        account = Account.objects.get(login=login)
        account.activated_at = account.created_at  # as if the newcomer had activated
        account.save()
    assert seen == ["elefevre", "jdupont", "jdupont2", "jdelafon"]
