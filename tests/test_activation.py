"""Validation Personnel: the one-page form, each rule, each error, and what "Valider" writes."""

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.test import Client
from django.utils import timezone

from seuil.accounts.models import Account, StateChange
from seuil.activation.models import CharterAcceptance, Sesame
from seuil.audit.models import AuditEvent
from seuil.mailer.models import OutgoingMail
from seuil.people.models import Person
from tests.conftest import ACTIVATION_URL, PASSWORD, activation_form, without_csrf

pytestmark = pytest.mark.django_db


def errors(response: Any, field: str) -> list[str]:
    return list(response.context["form"].errors.get(field, []))


def nothing_written(account: Account) -> None:
    account.refresh_from_db()
    assert account.activated_at is None
    assert not account.has_usable_password()
    assert not CharterAcceptance.objects.exists()
    assert not OutgoingMail.objects.exists()
    assert not StateChange.objects.exists()
    assert Sesame.objects.live().filter(account=account).exists(), "the Sésame stays usable"


def test_the_form_has_the_pages_labels(client: Client) -> None:
    page = client.get(ACTIVATION_URL).content.decode()
    for label in [
        "Validation Personnel", "Identifiant", "Mot de passe provisoire", "Nouveau mot de passe",
        "Confirmation du nouveau mot de passe", "Mail personnel", "Question secrète", "Réponse",
        "Je m&#x27;engage à respecter la charte d&#x27;utilisation de l&#x27;environnement numérique de travail",
        "Valider", 'data-testid="password-indicator"', 'data-valid="false"', 'aria-live="polite"',
    ]:  # fmt: skip
        assert label in page, label


def test_the_form_speaks_english_when_the_browser_asks(client: Client) -> None:
    page = client.get(ACTIVATION_URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Temporary password" in page
    assert "Confirm the new password" in page
    assert ">Submit<" in page or ">Validate<" in page


def test_it_activates_an_account(client: Client, staff: tuple[Person, str], settings: Any) -> None:
    # The production costs (the suite runs with the cheapest the settings accept: pyproject.toml).
    settings.SEUIL_ARGON2_MEMORY_KIB, settings.SEUIL_ARGON2_TIME_COST = 19_456, 2
    person, sesame = staff
    response = client.post(
        ACTIVATION_URL, activation_form("elefevre", sesame), REMOTE_ADDR="192.0.2.7"
    )
    assert response.status_code == 302
    account = Account.objects.get(pk=person.account.pk)
    assert account.activated_at is not None
    assert account.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert authenticate(username="elefevre", password=PASSWORD) == account
    assert account.pending_email == "eloise.lm@example.org"
    assert account.recovery_email == ""  # until the link is followed
    acceptance = CharterAcceptance.objects.get(account=account)
    assert (acceptance.version, acceptance.ip) == ("2026-09", "192.0.2.7")
    assert not Sesame.objects.live().filter(account=account).exists()
    assert sorted(str(s) for s in account.states.all()) == [
        f"{{COMPTE}}A:SupannActif:{timezone.localdate():%Y%m%d}:",
        f"{{MAIL}}A:SupannActif:{timezone.localdate():%Y%m%d}:",
    ]
    assert account.supann_state() == "SupannActif"
    event = AuditEvent.objects.get(action="activation")
    assert (event.outcome, event.actor, event.ip) == ("success", "elefevre", "192.0.2.7")
    assert sorted(OutgoingMail.objects.values_list("kind", "to")) == [
        ("accounts.confirm_email", "eloise.lm@example.org"),
        ("activation.activated", "eloise.lm@example.org"),
    ]


def test_the_recap_confirms_the_account_and_the_mailbox_once(
    client: Client, staff: tuple[Person, str]
) -> None:
    response = client.post(ACTIVATION_URL, activation_form("elefevre", staff[1]), follow=True)
    page = response.content.decode()
    assert "Votre compte est activé" in page
    assert "elefevre" in page
    assert "eloise.lefevre-martin@univ-montp3.fr" in page
    assert "ne pourra pas vous être envoyé" in page
    assert 'href="/gestion-de-compte/se-connecter/">Se connecter</a>' in page, "the next step"
    assert PASSWORD not in page
    assert client.get(f"{ACTIVATION_URL}recapitulatif/").status_code == 302, (
        "the recap is shown once"
    )


@pytest.mark.parametrize("case", ["unknown", "wrong", "expired", "used", "revoked"])
def test_it_rejects_a_bad_login_or_sesame_with_one_message(
    client: Client, staff: tuple[Person, str], make_person: Callable[..., Person], case: str
) -> None:
    person, sesame = staff
    login = "elefevre"
    if case == "unknown":
        login = "nobody12"
    elif case == "wrong":
        sesame = "ABCD-EFGH-JKMN-P"
    elif case == "used":
        other = make_person(first_name="Paul", last_name="Roux")
        used = Sesame.issue(other.account)[1]
        client.post(ACTIVATION_URL, activation_form("proux", used))
        login, sesame = "proux", used
    elif case == "revoked":
        Sesame.issue(person.account)
    context = (
        time_machine.travel(timezone.now() + timedelta(days=31)) if case == "expired" else None
    )
    if context:
        context.start()
    try:
        response = client.post(ACTIVATION_URL, activation_form(login, sesame))
    finally:
        if context:
            context.stop()
    assert response.status_code == 200
    assert errors(response, "sesame") == [
        "Identifiant ou mot de passe provisoire incorrect. Le Sésame est peut-être expiré ou déjà "
        "utilisé : la DRH peut vous en remettre un nouveau."
    ]
    assert errors(response, "login") == []
    if case != "used":
        person.account.refresh_from_db()
        assert person.account.activated_at is None


def page_without_echoes(response: Any) -> str:
    text = response.content.decode()
    text = without_csrf(text)
    return re.sub(r'name="login" value="[^"]*"', "", text)


def test_known_and_unknown_logins_get_the_same_page(
    client: Client, staff: tuple[Person, str]
) -> None:
    known = client.post(ACTIVATION_URL, activation_form("elefevre", "ABCD-EFGH-JKMN-P"))
    unknown = client.post(ACTIVATION_URL, activation_form("zzunknown", "ABCD-EFGH-JKMN-P"))
    assert known.status_code == unknown.status_code == 200
    assert page_without_echoes(known) == page_without_echoes(unknown)


def test_a_failed_validation_writes_nothing_and_keeps_the_sesame(
    client: Client, staff: tuple[Person, str]
) -> None:
    person, sesame = staff
    client.post(ACTIVATION_URL, activation_form("elefevre", sesame, password2="Different7Kq"))
    nothing_written(person.account)
    assert client.post(ACTIVATION_URL, activation_form("elefevre", sesame)).status_code == 302


def test_it_keeps_the_typed_values_but_never_a_secret(
    client: Client, staff: tuple[Person, str]
) -> None:
    _, sesame = staff
    response = client.post(
        ACTIVATION_URL,
        activation_form("elefevre", sesame, password2="Different7Kq", personal_email="", secret_question="Quel est le titre de votre livre préféré ?", secret_answer="Le Petit Prince"),
    )  # fmt: skip
    page = response.content.decode()
    assert 'value="elefevre"' in page
    assert "selected>Quel est le titre de votre livre préféré\u00a0?" in page
    for secret in (sesame, PASSWORD, "Different7Kq", "Le Petit Prince"):
        assert secret not in page


def test_each_error_sits_next_to_its_field(client: Client, staff: tuple[Person, str]) -> None:
    response = client.post(
        ACTIVATION_URL,
        activation_form(
            "elefevre", staff[1], password1="Éloïse#1", password2="x", personal_email="", charter=""
        ),
    )
    assert "Il contient un accent (« É ») : les accents sont refusés" in errors(
        response, "password1"
    )
    assert "Il contient un caractère spécial (« # ») : lettres et chiffres seulement" in errors(
        response, "password1"
    )
    assert errors(response, "password2") == ["Les deux mots de passe ne sont pas identiques."]
    assert errors(response, "personal_email") == [
        "Donnez un mail personnel ou, à défaut, une question secrète."
    ]
    assert errors(response, "charter") == ["Cochez la case pour accepter la charte."]
    page = response.content.decode()
    assert 'aria-invalid="true"' in page
    assert (
        'aria-describedby="id_password1_helptext id_password1_error"' in page
        or 'aria-describedby="id_password1_error"' in page
    )
    assert 'role="alert"' in page


def test_the_password_may_not_hold_the_persons_name(
    client: Client, staff: tuple[Person, str]
) -> None:
    response = client.post(
        ACTIVATION_URL,
        activation_form("elefevre", staff[1], password1="Lefevre7KqZm", password2="Lefevre7KqZm"),
    )
    assert "Il contient votre identifiant ou votre nom" in errors(response, "password1")


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("éloïse@example.org", "Saisissez une adresse de courriel valide."),
        ("eloise@exämple.org", "L'adresse ne doit contenir ni accent ni caractère spécial."),
        (
            "eloise@univ-montp3.fr",
            "Donnez une adresse personnelle, pas une adresse de l'université.",
        ),
        (
            "eloise@etu.univ-montp3.fr",
            "Donnez une adresse personnelle, pas une adresse de l'université.",
        ),
        ("eloise@", "Saisissez une adresse de courriel valide."),
    ],
)
def test_it_checks_the_personal_email(
    client: Client, staff: tuple[Person, str], email: str, message: str
) -> None:
    response = client.post(
        ACTIVATION_URL, activation_form("elefevre", staff[1], personal_email=email)
    )
    assert errors(response, "personal_email") == [message]


def test_it_asks_for_one_recovery_contact_not_both(
    client: Client, staff: tuple[Person, str]
) -> None:
    response = client.post(
        ACTIVATION_URL,
        activation_form(
            "elefevre",
            staff[1],
            secret_question="Dans quelle rue avez-vous grandi ?",
            secret_answer="rue x",
        ),
    )
    assert errors(response, "secret_question") == [
        "Vous avez donné un mail personnel : laissez la question secrète vide."
    ]
    short = client.post(
        ACTIVATION_URL,
        activation_form(
            "elefevre",
            staff[1],
            personal_email="",
            secret_question="Dans quelle rue avez-vous grandi ?",
            secret_answer="ab",
        ),
    )
    assert errors(short, "secret_answer") == [
        "Donnez une réponse d'au moins 3 lettres ou chiffres : la ponctuation, les espaces et "
        "les symboles ne comptent pas."
    ]


def test_it_hashes_a_normalised_secret_answer(client: Client, staff: tuple[Person, str]) -> None:
    person, sesame = staff
    question = "Dans quelle rue avez-vous grandi ?"
    client.post(
        ACTIVATION_URL,
        activation_form(
            "elefevre",
            sesame,
            personal_email="",
            secret_question=question,
            secret_answer="  Rue de l'Église ",
        ),
    )
    account = Account.objects.get(pk=person.account.pk)
    assert account.secret_question == question
    assert account.secret_answer.startswith("argon2$argon2id$")
    assert "glise" not in account.secret_answer.lower()
    from django.contrib.auth.hashers import check_password

    assert check_password("rue de l eglise", account.secret_answer)
    # Notified at the feed's address, the only one known.
    assert list(OutgoingMail.objects.values_list("to", flat=True)) == ["feed@example.org"]


def test_the_sesame_is_read_whatever_its_case_spaces_and_hyphens(
    client: Client, staff: tuple[Person, str]
) -> None:
    typed = staff[1].replace("-", " ").lower().replace("0", "o")
    assert client.post(ACTIVATION_URL, activation_form("  ELEFEVRE ", typed)).status_code == 302


def test_a_sesame_on_an_active_account_replaces_its_password(
    client: Client, staff: tuple[Person, str]
) -> None:
    person, sesame = staff
    client.post(ACTIVATION_URL, activation_form("elefevre", sesame))
    account = Account.confirm_email(Account.objects.get(pk=person.account.pk).email_token())
    assert account is not None
    OutgoingMail.objects.all()  # the first activation's mail is already queued
    second = Sesame.issue(account)[1]
    response = client.post(
        ACTIVATION_URL,
        activation_form(
            "elefevre",
            second,
            password1="Zq8vNw3kLp",
            password2="Zq8vNw3kLp",
            personal_email="new@example.org",
        ),
        follow=True,
    )
    assert "Votre mot de passe est remplacé" in response.content.decode()
    assert authenticate(username="elefevre", password="Zq8vNw3kLp") is not None
    notices = OutgoingMail.objects.filter(kind="activation.activated", context__replaced=True)
    assert sorted(notices.values_list("to", flat=True)) == [
        "eloise.lm@example.org",
        "new@example.org",
    ]
    assert StateChange.objects.filter(account=account).count() == 2, "no second activation record"


def test_a_students_sesame_works_on_the_same_form(
    client: Client, make_person: Callable[..., Person]
) -> None:
    student = make_person(status="etudiant", first_name="Zoë", last_name="Brontë")
    sesame = Sesame.issue(student.account)[1]
    response = client.post(
        ACTIVATION_URL,
        activation_form("zbronte", sesame, personal_email="zoe@example.org"),
        follow=True,
    )
    assert "zoe.bronte@etu.univ-montp3.fr" in response.content.decode()


def test_a_huge_secret_is_refused_before_any_hashing(
    client: Client, staff: tuple[Person, str]
) -> None:
    from django.contrib.auth import hashers

    huge = "A" * 1_000_000
    with mock.patch.object(hashers, "make_password", wraps=hashers.make_password) as hashing:
        response = client.post(
            ACTIVATION_URL, activation_form("elefevre", staff[1], password1=huge, password2=huge)
        )
    assert response.status_code == 200
    assert errors(response, "password1")[0].startswith(
        "Assurez-vous que cette valeur comporte au plus 256"
    )
    hashing.assert_not_called()


def test_known_and_unknown_logins_cost_the_same_hashing(
    client: Client, staff: tuple[Person, str]
) -> None:
    from django.utils.crypto import salted_hmac

    from seuil.accounts.hashers import Argon2idHasher
    from seuil.core import keys

    def work(login: str) -> tuple[int, int, int]:
        with (
            mock.patch.object(keys, "salted_hmac", wraps=salted_hmac) as keyed,
            mock.patch.object(
                Argon2idHasher, "encode", autospec=True, side_effect=Argon2idHasher.encode
            ) as encode,
            mock.patch.object(
                Argon2idHasher, "verify", autospec=True, side_effect=Argon2idHasher.verify
            ) as verify,
        ):
            client.post(ACTIVATION_URL, activation_form(login, "ABCD-EFGH-JKMN-P"))
        sesames = [c for c in keyed.call_args_list if c.args[0].startswith("seuil.activation")]
        return len(sesames), encode.call_count, verify.call_count

    assert work("elefevre") == work("zzunknown") == (1, 0, 0)
