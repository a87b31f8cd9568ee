"""A refusal for another field does not make a newcomer type the Sésame again: the fact that it
was verified is kept in the session, signed and timed, and the secret never comes back."""

from collections.abc import Callable
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from seuil.activation.models import Sesame
from seuil.people.models import Person
from tests.conftest import ACTIVATION_URL as URL
from tests.conftest import PASSWORD, activation_form

pytestmark = pytest.mark.django_db


def test_an_unticked_charter_keeps_the_verified_sesame(
    client: Client, staff: tuple[Person, str]
) -> None:
    refused = client.post(URL, activation_form("elefevre", staff[1], charter=""))
    page = refused.content.decode()
    assert "Sésame vérifié" in page
    assert 'name="sesame"' not in page, "nothing to type again"
    assert staff[1] not in page, "never echoed"
    assert staff[1].replace("-", "") not in page
    done = client.post(URL, activation_form("elefevre", ""))
    assert done["Location"] == URL + "recapitulatif/"
    staff[0].account.refresh_from_db()
    assert staff[0].account.check_password(PASSWORD)


def test_the_proof_holds_only_for_the_same_login(
    client: Client, staff: tuple[Person, str], make_person: Callable[..., Person]
) -> None:
    other = make_person(first_name="Paul", last_name="Roux")
    Sesame.issue(other.account)
    client.post(URL, activation_form("elefevre", staff[1], charter=""))
    response = client.post(URL, activation_form("proux", ""))
    assert response.status_code == 200
    assert response.context["form"].errors["sesame"] == ["Ce champ est obligatoire."]
    other.account.refresh_from_db()
    assert other.account.activated_at is None


def test_the_proof_expires_and_dies_with_its_sesame(
    client: Client, staff: tuple[Person, str]
) -> None:
    client.post(URL, activation_form("elefevre", staff[1], charter=""))
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        late = client.post(URL, activation_form("elefevre", ""))
    assert late.context["form"].errors["sesame"] == ["Ce champ est obligatoire."]
    client.post(URL, activation_form("elefevre", staff[1], charter=""))
    Sesame.issue(staff[0].account)  # HR issues another: the first is revoked
    revoked = client.post(URL, activation_form("elefevre", ""))
    assert revoked.context["form"].errors["sesame"] == ["Ce champ est obligatoire."]


def test_the_sesame_is_still_refused_as_the_password_once_verified(
    client: Client, staff: tuple[Person, str]
) -> None:
    client.post(URL, activation_form("elefevre", staff[1], charter=""))
    code = staff[1].replace("-", "").lower()
    response = client.post(URL, activation_form("elefevre", "", password1=code, password2=code))
    assert (
        "C'est votre Sésame : choisissez un autre mot de passe"
        in response.context["form"].errors["password1"]
    )


def test_a_forged_proof_proves_nothing(client: Client, staff: tuple[Person, str]) -> None:
    session = client.session
    session["seuil.steps.activation-verified"] = "1:elefevre:forged"
    session.save()
    response = client.post(URL, activation_form("elefevre", ""))
    assert response.context["form"].errors["sesame"] == ["Ce champ est obligatoire."]
