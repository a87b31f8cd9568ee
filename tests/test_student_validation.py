"""Validation Étudiant: student number and birth date, a code by mail, then the activation form."""

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.utils import timezone

from seuil.accounts.models import Account
from seuil.activation.models import StudentCode
from seuil.people.models import Person
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
URL = "/gestion-de-compte/validation-etudiant/"
WRONG = "Numéro d&#x27;étudiant ou date de naissance incorrect."


@pytest.fixture
def zoe(make_person: Callable[..., Person]) -> Person:
    return make_person(status="etudiant", external_id="22600001", first_name="Zoë", last_name="Brontë",
                       personal_email="zoe.bronte@example.org")  # fmt: skip


@pytest.fixture
def sent(client: Client, zoe: Person, django_capture_on_commit_callbacks: Any) -> str:
    """Identify; return the code the mail carried."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {"number": "22600001", "birth_date": "12/05/1980"})
    assert response["Location"] == URL + "code/"
    match = re.search(r"\b(\d{4}) (\d{4})\b", str(mail.outbox[-1].body))
    assert match
    return match.group(1) + match.group(2)


def test_a_wrong_pair_and_an_unknown_number_get_the_same_answer(
    client: Client, zoe: Person
) -> None:
    pages = [
        client.post(URL, {"number": number, "birth_date": born}).content.decode()
        for number, born in [("22600001", "13/05/1980"), ("99999999", "12/05/1980")]
    ]
    assert all(WRONG in page for page in pages)
    assert re.sub(r'value="[^"]*"', "", pages[0]) == re.sub(r'value="[^"]*"', "", pages[1])
    assert mail.outbox == []


def test_the_code_goes_to_the_feeds_address_shown_masked(client: Client, sent: str) -> None:
    assert re.fullmatch(r"\d{8}", sent)
    assert mail.outbox[-1].to == ["zoe.bronte@example.org"]
    assert "z***@example.org" in client.get(URL + "code/").content.decode()


def test_the_right_code_leads_to_the_form_and_the_proven_address_is_confirmed(
    client: Client, zoe: Person, sent: str
) -> None:
    assert (
        client.post(URL + "code/", {"code": f"{sent[:4]} {sent[4:]}"})["Location"]
        == URL + "activation/"
    )
    form = client.get(URL + "activation/").content.decode()
    assert 'value="zoe.bronte@example.org"' in form
    response = client.post(URL + "activation/", {"password1": PASSWORD, "password2": PASSWORD,
                                                  "personal_email": "zoe.bronte@example.org", "charter": "on"}, follow=True)  # fmt: skip
    page = response.content.decode()
    assert "Votre compte est activé" in page
    assert "zoe.bronte@etu.univ-montp3.fr" in page
    account = Account.objects.get(pk=zoe.account.pk)
    assert (account.recovery_email, account.pending_email) == ("zoe.bronte@example.org", "")
    assert account.supann_state() == "SupannActif"
    assert client.get(URL + "activation/")["Location"] == URL, "the code served once"


def test_five_wrong_codes_void_it(client: Client, zoe: Person, sent: str) -> None:
    wrong = "00000000" if sent != "00000000" else "11111111"
    for _ in range(4):
        assert (
            "Code incorrect ou expiré"
            in client.post(URL + "code/", {"code": wrong}).content.decode()
        )
    client.post(URL + "code/", {"code": wrong})
    from seuil.security import throttle

    throttle.reset(zoe.account.login)  # the account lockout aside, the code itself is spent
    assert "Code incorrect ou expiré" in client.post(URL + "code/", {"code": sent}).content.decode()


def test_a_new_code_revokes_the_previous_one_without_using_it(
    client: Client, zoe: Person, sent: str
) -> None:
    client.post(URL, {"number": "22600001", "birth_date": "12/05/1980"})
    first, second = StudentCode.objects.filter(account=zoe.account).order_by("created_at")
    assert (first.revoked_at is not None, first.used_at) == (True, None), "used means activated"
    assert (second.revoked_at, second.used_at) == (None, None)
    assert "Code incorrect ou expiré" in client.post(URL + "code/", {"code": sent}).content.decode()


def test_a_code_revoked_after_it_was_proven_activates_nothing(
    client: Client, zoe: Person, sent: str
) -> None:
    assert client.post(URL + "code/", {"code": sent})["Location"] == URL + "activation/"
    Client().post(URL, {"number": "22600001", "birth_date": "12/05/1980"})  # a second tab
    response = client.post(URL + "activation/", {"password1": PASSWORD, "password2": PASSWORD,
                                                  "personal_email": "zoe.bronte@example.org", "charter": "on"})  # fmt: skip
    assert response["Location"] == URL
    account = Account.objects.get(pk=zoe.account.pk)
    assert (account.activated_at, account.has_usable_password()) == (None, False)
    assert not StudentCode.objects.filter(account=account, used_at__isnull=False).exists()


@pytest.mark.django_db(transaction=True)
def test_codes_voided_before_revoked_at_existed_are_told_from_used_ones(
    make_person: Callable[..., Person],
) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([("activation", "0004_studentcode")])
    old = executor.loader.project_state([("activation", "0004_studentcode")]).apps
    Code = old.get_model("activation", "StudentCode")
    now = timezone.now()
    voided, spent = make_person(status="etudiant"), make_person(status="etudiant")
    later = {"expires_at": now + timedelta(minutes=30), "digest": "x"}
    # How 0004's issue() voided: the old code's used_at a few microseconds after the new one.
    Code.objects.create(account_id=voided.account.pk, created_at=now - timedelta(minutes=3),
                        used_at=now + timedelta(microseconds=40), **later)  # fmt: skip
    Code.objects.create(account_id=voided.account.pk, created_at=now, **later)
    Code.objects.create(account_id=spent.account.pk, created_at=now - timedelta(minutes=3),
                        used_at=now, **later)  # fmt: skip
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    rows = StudentCode.objects.order_by("account_id", "created_at")
    assert [(c.account_id, c.used_at is not None, c.revoked_at is not None) for c in rows] == [
        (voided.account.pk, False, True),
        (voided.account.pk, False, False),
        (spent.account.pk, True, False),
    ]


def test_a_code_lives_thirty_minutes(client: Client, sent: str) -> None:
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        client.post(URL, {})  # keep nothing: only the code's age matters here
        response = client.post(URL + "code/", {"code": sent})
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert response["Location"] == URL  # the session lapsed with it
    else:
        assert "Code incorrect ou expiré" in response.content.decode()


def test_without_an_address_the_student_is_sent_to_the_scolarite(
    client: Client, make_person: Callable[..., Person]
) -> None:
    make_person(status="etudiant", external_id="22600009", personal_email="")
    page = client.post(URL, {"number": "22600009", "birth_date": "1980-05-12"}).content.decode()
    assert "demandez un Sésame au service de la scolarité" in page
    assert "J&#x27;ai un Sésame" in page or "J'ai un Sésame" in page
    assert 'href="/gestion-de-compte/validation-personnel/"' in page


def test_an_activated_student_is_told_to_sign_in(client: Client, zoe: Person) -> None:
    zoe.account.activated_at = timezone.now()
    zoe.account.save()
    page = client.post(URL, {"number": "22600001", "birth_date": "12/05/1980"}).content.decode()
    assert "Votre compte est déjà activé" in page


def test_codes_are_capped_at_five_an_hour(client: Client, zoe: Person) -> None:
    for _ in range(7):
        client.post(URL, {"number": "22600001", "birth_date": "12/05/1980"})
    from seuil.mailer.models import OutgoingMail

    assert OutgoingMail.objects.filter(kind="activation.student_code").count() == 5


def test_the_menu_offers_validation_etudiant(client: Client) -> None:
    assert 'href="/gestion-de-compte/validation-etudiant/"' in client.get("/").content.decode()


def test_i_have_a_sesame_leads_to_validation_etudiant_in_the_scolarites_words(
    client: Client, make_person: Callable[..., Person]
) -> None:
    html = client.get(URL).content.decode()
    links = re.findall(r'href="([^"]+)">J(?:&#x27;|\')ai un Sésame<', html)
    assert links == ["/gestion-de-compte/validation-etudiant/sesame/"]
    page = client.get(URL + "sesame/").content.decode()
    assert "<h1>Validation Étudiant</h1>" in page
    assert "service de la scolarité" in page
    assert "DRH" not in page
    assert "Vous êtes personnel" not in page


def test_a_student_activates_with_the_sesame_of_the_scolarite(
    client: Client, make_person: Callable[..., Person]
) -> None:
    from seuil.activation.models import Sesame

    student = make_person(status="etudiant", first_name="Léo", last_name="Roux")
    code = Sesame.issue(student.account)[1]
    response = client.post(
        URL + "sesame/",
        {
            "login": student.account.login,
            "sesame": code,
            "password1": PASSWORD,
            "password2": PASSWORD,
            "personal_email": "leo.roux@example.org",
            "charter": "on",
        },
    )
    assert response.status_code == 302
    assert Account.objects.get(pk=student.account.pk).check_password(PASSWORD)


def test_every_sign_in_page_offers_both_first_connections(client: Client) -> None:
    from tests.cas import register_cas

    register_cas("Scolarité", "https://scolarite.example/", statuses=("etudiant",))
    for url in (
        "/gestion-de-compte/se-connecter/",
        "/cas/login?service=https://scolarite.example/",
    ):
        page = client.get(url).content.decode()
        assert "Première connexion" in page, url
        assert 'href="/gestion-de-compte/validation-personnel/"' in page, url
        assert 'href="/gestion-de-compte/validation-etudiant/"' in page, url
