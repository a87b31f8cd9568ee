"""HR and IT see each account's directory status in the admin, and can push one again."""

from collections.abc import Callable
from typing import Any

import ldap
import pytest
from django.test import Client
from django.utils import timezone

from seuil.accounts.models import Account, AccountChange
from seuil.core.queue import QueueState
from seuil.directory.entries import dn_of
from seuil.directory.sandbox import Sandbox, free_port
from seuil.people.models import Person
from tests.conftest import PASSWORD

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
