"""HR and IT see each account's directory status in the admin, and can push one again."""

from collections.abc import Callable
from typing import Any

import ldap
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from seuil.accounts.models import Account, AccountChange
from seuil.core.queue import QueueState
from seuil.directory.entries import dn_of
from seuil.directory.sandbox import Sandbox
from seuil.mailer.models import OutgoingMail
from seuil.people.models import Person
from tests.conftest import PASSWORD, free_port
from tests.test_directory import OLD, binds

pytestmark = pytest.mark.django_db(transaction=True)
LIST = "/admin/accounts/account/"


def row_of(page: str, login: str) -> str:
    start = page.index(f">{login}</a>")
    return page[start : page.index("</tr>", start)]


def test_the_list_shows_in_sync_pending_and_failed(
    directory: Sandbox,
    hr: Client,
    make_person: Callable[..., Person],
    make_operator: Callable[..., Account],
    settings: Any,
) -> None:
    synced = make_person(password=PASSWORD).account
    settings.SEUIL_LDAP_URL = f"ldap://127.0.0.1:{free_port()}"
    waiting, refused = make_person().account, make_person().account
    settings.SEUIL_LDAP_URL = directory.url
    AccountChange.objects.filter(account=refused).update(
        state=QueueState.DEAD, last_error="Object class violation: no structural object class"
    )

    page = hr.get(LIST).content.decode()

    assert "à jour" in row_of(page, synced.login)
    assert "en attente depuis le" in row_of(page, waiting.login)
    assert "échec : Object class violation" in row_of(page, refused.login)
    assert ">rh-test</a>" not in page  # HR sees people's accounts only: operators' are IT's
    it = Client()
    it.force_login(make_operator("it"))
    assert "non publié (opérateur)" in row_of(it.get(LIST).content.decode(), "it-test")


def test_hr_can_push_an_account_again(
    directory: Sandbox, hr: Client, make_person: Callable[..., Person]
) -> None:
    account = make_person(password=PASSWORD).account
    conn = directory.admin()
    conn.delete_s(dn_of(account.login))  # lost by hand
    conn.unbind_s()
    AccountChange.objects.filter(account=account).update(
        state=QueueState.DEAD, last_error="refused", due_at=timezone.now()
    )

    response = hr.post(
        LIST, {"action": "push_again", "_selected_action": [account.pk]}, follow=True
    )

    assert "Publiés : 1" in response.content.decode()
    conn = directory.admin()
    assert conn.search_s(dn_of(account.login), ldap.SCOPE_BASE)
    conn.unbind_s()
    assert "à jour" in row_of(hr.get(LIST).content.decode(), account.login)


def test_a_lock_the_directory_refuses_is_loud_in_the_admin_the_check_and_the_operators_mail(
    directory: Sandbox,
    hr: Client,
    make_person: Callable[..., Person],
    settings: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    witness = make_person(first_name="Anne", password=OLD).account
    leaving = make_person(first_name="Paul", password=OLD).account
    assert binds(directory, leaving.login, OLD)
    call_command("check_directory", "--dry-run")
    # seuil's DN loses its write access: what slapd answers with an ACL that forgot it.
    settings.SEUIL_LDAP_BIND_DN, settings.SEUIL_LDAP_BIND_PASSWORD = dn_of(witness.login), OLD
    settings.SEUIL_OPERATOR_EMAILS = ["astreinte@univ-montp3.fr", "dsi@univ-montp3.fr"]

    Account.objects.get(pk=leaving.pk).lock("départ")

    assert binds(directory, leaving.login, OLD), "the old password still opens the services"
    paged = OutgoingMail.objects.filter(kind="directory.unclosed")
    assert sorted(paged.values_list("to", flat=True)) == settings.SEUIL_OPERATOR_EMAILS
    message = paged.first().build()  # type: ignore[union-attr]
    assert leaving.login in message.text
    assert "Insufficient access" in message.text
    page = hr.get(LIST).content.decode()
    assert "L&#x27;annuaire a refusé de fermer 1 compte(s)" in page
    assert f"{leaving.login} (Insufficient access" in page
    with pytest.raises(CommandError, match=r"refused to close 1 account"):
        call_command("check_directory", "--dry-run")
    assert f"NOT CLOSED in the directory: {leaving.login}" in capsys.readouterr().err

    AccountChange.objects.update(due_at=timezone.now())
    call_command("sync_directory", verbosity=0)  # refused again: the operators were told today
    assert paged.count() == 2

    settings.SEUIL_LDAP_BIND_DN = directory.settings()["SEUIL_LDAP_BIND_DN"]  # the ACL fixed
    settings.SEUIL_LDAP_BIND_PASSWORD = directory.settings()["SEUIL_LDAP_BIND_PASSWORD"]
    AccountChange.objects.update(due_at=timezone.now())
    call_command("sync_directory", verbosity=0)
    assert not binds(directory, leaving.login, OLD)
    assert "refusé de fermer" not in hr.get(LIST).content.decode()
    call_command("check_directory", "--dry-run")
