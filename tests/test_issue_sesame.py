"""`seuil issue_sesame LOGIN [--letter FILE.pdf]`: the Sésame once, as the last line of stdout."""

from collections.abc import Callable
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from pypdf import PdfReader

from seuil.activation.models import Sesame
from seuil.people.models import Person
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def issue(*args: str) -> list[str]:
    out = StringIO()
    call_command("issue_sesame", *args, stdout=out)
    return out.getvalue().splitlines()


def test_it_prints_the_sesame_as_the_last_line(make_person: Callable[..., Person]) -> None:
    account = make_person().account
    lines = issue("JDupont")
    assert Sesame.objects.verify(account.login, lines[-1]) is not None
    assert lines[-1] not in "".join(lines[:-1])


def test_it_writes_the_letter(make_person: Callable[..., Person], tmp_path: Path) -> None:
    make_person()
    lines = issue("jdupont", "--letter", str(tmp_path / "lettre.pdf"))
    text = PdfReader(tmp_path / "lettre.pdf").pages[0].extract_text()
    assert lines[-1] in text
    assert "jdupont" in text


def test_a_new_sesame_revokes_the_previous_one(make_person: Callable[..., Person]) -> None:
    account = make_person().account
    first = issue("jdupont")[-1]
    lines = issue("jdupont")
    assert "le précédent est révoqué" in lines[0]
    assert Sesame.objects.verify(account.login, first) is None


def test_a_dry_run_issues_nothing(make_person: Callable[..., Person]) -> None:
    make_person()
    assert issue("jdupont", "--dry-run") == [
        "émettrait un Sésame pour jdupont",
        "essai à blanc : aucun Sésame émis",
    ]
    assert not Sesame.objects.exists()


def test_it_refuses_an_unknown_login() -> None:
    with pytest.raises(CommandError, match="aucune personne enregistrée n'a l'identifiant nobody"):
        issue("nobody")


def test_it_speaks_french_with_a_french_date(make_person: Callable[..., Person]) -> None:
    make_person()
    first = issue("jdupont")[0]
    assert first.startswith("Sésame de jdupont, valable jusqu'au ")
    assert "for" not in first


def test_several_logins_get_one_pdf_in_one_transaction(
    make_person: Callable[..., Person], tmp_path: Path
) -> None:
    make_person()
    make_person(first_name="Paul", last_name="Roux")
    lines = issue("jdupont", "proux", "--letter", str(tmp_path / "l.pdf"))
    assert lines == [f"2 Sésames émis, lettres dans {tmp_path / 'l.pdf'}"]
    pages = PdfReader(tmp_path / "l.pdf").pages
    assert len(pages) == 2
    assert "jdupont" in pages[0].extract_text()
    assert "proux" in pages[1].extract_text()
    assert Sesame.objects.live().count() == 2


def test_an_unknown_login_among_several_issues_nothing(make_person: Callable[..., Person]) -> None:
    make_person()
    with pytest.raises(CommandError, match="nobody"):
        issue("jdupont", "nobody")
    assert not Sesame.objects.exists()


def test_a_failure_midway_issues_nothing(
    make_person: Callable[..., Person], tmp_path: Path
) -> None:
    make_person()
    make_person(first_name="Paul", last_name="Roux")
    with pytest.raises(CommandError, match="impossible d'écrire"):
        issue("jdupont", "proux", "--letter", str(tmp_path / "missing" / "l.pdf"))
    assert not Sesame.objects.exists(), "one transaction: all or none"


def test_everyone_not_activated_of_a_status(make_person: Callable[..., Person]) -> None:
    make_person()
    make_person(first_name="Zoé", last_name="Martin", status="etudiant", external_id="226001")
    make_person(first_name="Paul", last_name="Roux", password=PASSWORD)  # activated
    lines = issue("--not-activated", "--status", "etudiant")
    assert lines[0].startswith("Sésame de zmartin, valable jusqu'au")
    assert list(Sesame.objects.values_list("account__login", flat=True)) == ["zmartin"]
    issue("--not-activated")
    assert sorted(Sesame.objects.live().values_list("account__login", flat=True)) == [
        "jdupont",
        "zmartin",
    ]


def test_logins_and_not_activated_do_not_mix(make_person: Callable[..., Person]) -> None:
    make_person()
    with pytest.raises(CommandError, match="pas les deux"):
        issue("jdupont", "--not-activated")
    with pytest.raises(CommandError, match="--status"):
        issue("jdupont", "--status", "etudiant")
