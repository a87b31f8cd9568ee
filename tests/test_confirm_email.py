"""The personal e-mail's confirmation link: valid 24 h, bound to the address, confirmed by a button."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from seuil.accounts.models import Account
from seuil.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


CONFIRM = "/gestion-de-compte/confirmer-mail/"


def url(account: Account) -> str:
    return f"{CONFIRM}{account.email_token()}/"


def follow(client: Client, link: str) -> str:
    """What a person does: open the mailed link, then press the button."""
    response = client.get(link)
    assert response["Location"] == CONFIRM
    assert response["Referrer-Policy"] == "no-referrer"
    return client.post(CONFIRM).content.decode()


def test_following_the_link_shows_a_button_and_confirms_nothing(
    client: Client, pending: Account
) -> None:
    page = client.get(url(pending), follow=True).content.decode()
    assert "Confirmer mon mail personnel" in page
    assert "<strong>jean@example.org</strong>" in page, "the page says which address it confirms"
    pending.refresh_from_db()
    assert pending.recovery_email == ""


def test_the_button_confirms_the_address(client: Client, pending: Account) -> None:
    page = follow(client, url(pending))
    assert "Votre mail personnel jean@example.org est confirmé." in page
    pending.refresh_from_db()
    assert (pending.recovery_email, pending.pending_email) == ("jean@example.org", "")
    assert AuditEvent.objects.filter(action="email-confirmed", account=pending).exists()


def test_a_link_is_void_after_24_hours(client: Client, pending: Account) -> None:
    link = url(pending)
    with time_machine.travel(timezone.now() + timedelta(hours=24, minutes=1)):
        page = follow(client, link)
    assert "Ce lien n'est plus valable" in page
    pending.refresh_from_db()
    assert pending.recovery_email == ""


def test_a_link_serves_once_and_only_for_its_address(client: Client, pending: Account) -> None:
    link = url(pending)
    follow(client, link)
    assert "Ce lien n'est plus valable" in follow(client, link)
    pending.refresh_from_db()
    pending.pending_email = "other@example.org"
    pending.save()
    assert "Ce lien n'est plus valable" in follow(client, link)
    pending.refresh_from_db()
    assert pending.recovery_email == "jean@example.org"


@pytest.mark.parametrize("token", ["garbage", "a" * 500, "%00", "..:..:.."])
def test_a_forged_token_confirms_nothing(client: Client, pending: Account, token: str) -> None:
    assert client.get(f"{CONFIRM}{token}/").status_code in (302, 404)
    assert client.post(CONFIRM).status_code == 200
    pending.refresh_from_db()
    assert pending.recovery_email == ""


def test_the_button_page_without_a_link_says_so(client: Client) -> None:
    assert "Ce lien n'est plus valable" in client.get(CONFIRM).content.decode().replace(
        "&#x27;", "'"
    )
