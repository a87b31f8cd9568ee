"""The password rule and the security criteria, as the server applies them (the authority)."""

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from django.contrib.auth.password_validation import (
    password_validators_help_texts,
    validate_password,
)
from django.core.exceptions import ValidationError
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from seuil.accounts import passwords
from seuil.accounts.models import Account
from seuil.accounts.passwords import Context, unmet
from tests.conftest import PASSWORD

if TYPE_CHECKING:
    from django.test import Client

    from seuil.people.models import Person

CONTEXT = Context(
    login="jdupont",
    words=passwords.personal_words("Jean", "Lefèvre-Martin"),
    sesame="V0W7-Y2BG-EDMN-A",
)


def codes(password: str, confirmation: str | None = None, context: Context = CONTEXT) -> list[str]:
    return [
        u.code for u in unmet(password, password if confirmation is None else confirmation, context)
    ]


def message(password: str, code: str) -> str:
    return next(u.message for u in unmet(password, password, CONTEXT) if u.code == code)


def test_a_strong_password_meets_every_criterion() -> None:
    assert codes(PASSWORD) == []


@pytest.mark.parametrize(
    ("password", "said"),
    [("Lb4kr", "Trop court : il faut au moins 9 caractères"),
     ("Xk7pQ2mZ", "Trop court : il faut au moins 9 caractères"),
     ("Lbmx4kr7TqZw8Pn3", "Trop long : 15 caractères au plus"),
     ("x" * 1000, "Trop long : 15 caractères au plus")],
)  # fmt: skip
def test_it_holds_nine_to_fifteen_characters_and_says_which_end_is_wrong(
    password: str, said: str
) -> None:
    assert "length" in codes(password)
    assert message(password, "length") == said


@override_settings(SEUIL_PASSWORD_MIN_LENGTH=6)
def test_the_stated_minimum_is_the_real_one_when_entropy_forbids_shorter_ones() -> None:
    """The page's 6 would be a lie: at 50 bits, no 6-, 7- or 8-character password can pass."""
    assert passwords.shortest_length() == 9
    assert passwords.rule_text().startswith("d'au moins 9 caractères (15 au plus)")
    assert codes("Xk7pQ2") == ["entropy"]
    assert codes("Xk7pQ2mZ") == ["entropy"]
    assert codes("Xk7pQ2mZ9") == []
    assert message("Xk7pQ2", "entropy").startswith("Trop simple pour sa longueur")
    assert "bits" not in message("Xk7pQ2", "entropy")


@override_settings(SEUIL_PASSWORD_MIN_ENTROPY=0, SEUIL_PASSWORD_MIN_LENGTH=6)
def test_without_the_entropy_criterion_the_configured_minimum_is_the_rule() -> None:
    assert passwords.shortest_length() == 6


@pytest.mark.parametrize(
    ("password", "code", "said"),
    [("Soleil2024", "common", "C'est un mot de passe trop courant"),
     ("Lefevre2025Xq", "personal", "Il contient votre identifiant ou votre nom"),
     ("v0w7y2bgedmna", "sesame", "C'est votre Sésame : choisissez un autre mot de passe")],
)  # fmt: skip
def test_every_refusal_is_worded_as_the_problem(password: str, code: str, said: str) -> None:
    assert message(password, code) == said


@pytest.mark.parametrize(
    ("password", "reason"),
    [("Juillet1987", "une date ou une année"), ("aaaaaaaaaaaB1", "une répétition"),
     ("abcdefgh1234A", "une suite de lettres ou de chiffres")],
)  # fmt: skip
def test_a_guessable_password_is_told_why(password: str, reason: str) -> None:
    said = message(password, "guessable")
    assert said.startswith("Trop facile à deviner : il contient ")
    assert reason in said


def test_the_family_name_a_login_is_made_of_is_refused_without_knowing_the_person() -> None:
    """The browser knows only the login: elefevre2 is e + lefevre + 2."""
    assert passwords.login_words("elefevre2") == ("lefevre",)
    assert codes("Lefevre2025Xq", context=Context(login="elefevre2")) == ["personal"]


def test_it_names_the_accented_letter_it_refuses() -> None:
    assert (
        message("Éloïse2026Kx", "accent")
        == "Il contient un accent (« É ») : les accents sont refusés"
    )
    assert message("e\u0301tudiantKq7Z", "accent").startswith("Il contient un accent (« \u0301 »)")


@pytest.mark.parametrize(
    ("password", "shown"),
    [("Lbmx4kr7#Tq", "#"), ("Lbmx4kr7 Tq", "espace"), ("Lbmx-4kr7Tq", "-"), ("Lbmx4kr7😀Tq", "😀")],
)
def test_it_names_the_special_character_it_refuses(password: str, shown: str) -> None:
    said = f"Il contient un caractère spécial (« {shown} ») : lettres et chiffres seulement"
    assert message(password, "special") == said


@override_settings(SEUIL_PASSWORD_ALPHABET="ascii", SEUIL_PASSWORD_MAX_LENGTH=64)
def test_a_stricter_policy_may_allow_special_characters_and_length() -> None:
    assert codes("Lbmx4kr7#Tq-longer passphrase") == []
    assert codes("Lbmx4kr7éTq") == ["accent"]


@pytest.mark.parametrize(
    ("password", "bits"),
    [
        ("739201846571935", 49.8),
        ("qhzvkmwtrp", 47.0),
        ("qhzvkmwtrpx", 51.7),
        ("QhZvKmWt", 45.6),
        ("Q7zv2mW9t", 53.6),
    ],
)
def test_it_estimates_entropy_by_the_cnil_formula(password: str, bits: float) -> None:
    assert passwords.entropy(password) == pytest.approx(bits, abs=0.05)
    assert ("entropy" in codes(password)) is (bits < 50)


@pytest.mark.parametrize(
    "password", ["Motdepasse123", "azertyuiop123", "0icotpd785", "Marseille13"]
)
def test_it_refuses_common_passwords_django_and_french(password: str) -> None:
    assert "common" in codes(password)


def test_it_refuses_guessable_passwords() -> None:
    assert "guessable" in codes("qwertyuiop123")
    assert "guessable" in codes("1qaz2wsx3edc")


@override_settings(SEUIL_PASSWORD_MIN_ZXCVBN=0, SEUIL_PASSWORD_REFUSE_COMMON=False)
def test_the_guessability_and_common_checks_can_be_switched_off() -> None:
    assert codes("qwertyuiop123") == []


@pytest.mark.parametrize(
    "password", ["jdupont2026Kx", "JDUPONT2026Kx", "KqMartin7Zx2", "LefevreKq72Z", "kqZJean2026x"]
)
def test_it_refuses_the_login_and_the_names(password: str) -> None:
    assert "personal" in codes(password)


def test_names_are_words_of_three_letters_or_more_without_accents() -> None:
    words = passwords.personal_words("Li", "Lefèvre-Martin", "D'Artagnan")
    assert words == ("artagnan", "lefevre", "martin")  # "artagnan" also catches "dartagnan"


@pytest.mark.parametrize("password", ["V0W7Y2BGEDMNA", "v0w7y2bgedmna", "VOW7Y2BGEDMNA"])
def test_it_refuses_the_sesame_however_typed(password: str) -> None:
    assert "sesame" in codes(password)


def test_it_wants_the_two_entries_equal() -> None:
    assert codes(PASSWORD, "Lbmx4kr7TQ") == ["match"]


def test_the_quality_criteria_wait_for_the_rule() -> None:
    assert codes("azert") == ["length", "entropy"]
    assert codes("azertyuiop123") == ["common", "guessable"]


def test_normalised_answers_ignore_case_accents_spaces_and_punctuation() -> None:
    assert passwords.normalise_answer("  Saint-Étienne  ") == passwords.normalise_answer(
        "saint etienne"
    )


@given(st.text(max_size=40), st.text(max_size=40))
def test_any_text_gets_a_verdict_and_never_an_error(password: str, confirmation: str) -> None:
    result = unmet(password, confirmation, CONTEXT)
    assert all(u.message for u in result)
    if password.isascii() and password.isalnum() and 6 <= len(password) <= 15 and not result:
        assert passwords.entropy(password) >= 50


def check_ids() -> list[str]:
    from django.core.checks import run_checks

    return [message.id or "" for message in run_checks() if message.id and "seuil" in message.id]


def test_seuil_check_warns_when_the_minimum_length_is_below_what_entropy_allows() -> None:
    assert "seuil.W001" not in check_ids()
    with override_settings(SEUIL_PASSWORD_MIN_LENGTH=6):
        assert "seuil.W001" in check_ids()
    with override_settings(SEUIL_PASSWORD_MAX_LENGTH=8):
        assert "seuil.E002" in check_ids()


# --- Django's validators: operators' passwords follow the same policy -------------------------


def test_django_validates_passwords_with_seuils_policy() -> None:
    for weak in ("a", "password123", "azertyuiop"):
        with pytest.raises(ValidationError):
            validate_password(weak)
    validate_password(PASSWORD)
    assert password_validators_help_texts() == [
        "Choisissez un mot de passe d'au moins 9 caractères (15 au plus), "
        "sans accents et sans caractères spéciaux."
    ]


@pytest.mark.django_db
def test_an_operators_password_may_not_hold_their_login(
    make_person: Callable[..., "Person"],
) -> None:
    validate_password("Qhrvzk7Lp2Tm")
    operator = Account(login="qhrvzk")
    with pytest.raises(ValidationError) as refused:
        validate_password("Qhrvzk7Lp2Tm", operator)
    assert [error.code for error in refused.value.error_list] == ["personal"]
    person = make_person(first_name="Ines", last_name="Technicienne")
    with pytest.raises(ValidationError):
        validate_password("Technicienne7Q", person.account)  # the names of a person's account


@pytest.mark.django_db
def test_the_admins_password_forms_refuse_a_weak_password(admin_client: "Client") -> None:

    admin_client.post(
        "/admin/accounts/account/add/",
        {"login": "rh-faible", "password1": "a", "password2": "a", "usable_password": "true"},
    )
    assert not Account.objects.filter(login="rh-faible").exists()
    operator = Account.objects.create_superuser("rh-fort", "Xk8vNq2wLp9z")
    page = admin_client.post(
        f"/admin/accounts/account/{operator.pk}/password/",
        {"password1": "a", "password2": "a", "usable_password": "true"},
    )
    assert "Trop court" in page.content.decode()
    operator.refresh_from_db()
    assert operator.check_password("Xk8vNq2wLp9z")
    admin_client.post(
        f"/admin/accounts/account/{operator.pk}/password/",
        {"password1": PASSWORD, "password2": PASSWORD, "usable_password": "true"},
    )
    operator.refresh_from_db()
    assert operator.check_password(PASSWORD)
