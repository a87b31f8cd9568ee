"""The printable A4 letter: institution, name, login, Sésame, address with QR code, steps, expiry."""

from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

import PIL.Image
import pytest
from django.utils import timezone
from pypdf import PdfReader

from seuil.activation.letter import Letter, render_letters
from seuil.activation.models import Sesame
from seuil.people.models import Person

pytestmark = pytest.mark.django_db


def letter_for(person: Person) -> tuple[PdfReader, str]:
    sesame, code = Sesame.issue(person.account)
    pdf = render_letters([Letter(person, code, sesame.expires_at)])
    return PdfReader(BytesIO(pdf)), code


def test_it_holds_everything_the_person_needs(make_person: Callable[..., Person]) -> None:
    person = make_person(civility="Mme", first_name="Éloïse", last_name="Lefèvre-Martin")
    reader, code = letter_for(person)
    text = " ".join(reader.pages[0].extract_text().split())
    expires = timezone.localtime(person.account.sesames.get().expires_at)
    for expected in [
        "Université Paul-Valéry Montpellier 3", "Madame Éloïse Lefèvre-Martin", "elefevre", code,
        "http://127.0.0.1:8000/gestion-de-compte/validation-personnel/",
        "pastille verte", "Valider", "eloise.lefevre-martin@univ-montp3.fr",
        f"{expires.day} ", str(expires.year), "Direction des Ressources Humaines",
        "Contact : assistance@univ-montp3.fr",
    ]:  # fmt: skip
        assert expected in text, expected
    today = timezone.localdate()
    assert f"Le {today.day}" in text, "the letter is dated"
    assert "Gestion de compte" not in text, "one route: the direct address, not also the menu"


def test_it_is_a_single_a4_page_with_a_qr_code(make_person: Callable[..., Person]) -> None:
    reader, _ = letter_for(make_person())
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    # The QR code is drawn as dozens of filled squares.
    assert reader.pages[0].get_contents().get_data().count(b" re") > 100  # type: ignore[union-attr]


def test_several_letters_make_one_page_each(make_person: Callable[..., Person]) -> None:
    people = [make_person(first_name=n) for n in ("Anne", "Paul", "Zoé")]
    letters = [Letter(p, Sesame.issue(p.account)[1], timezone.now()) for p in people]
    assert len(PdfReader(BytesIO(render_letters(letters))).pages) == 3


def test_a_student_letter_names_the_scolarite(make_person: Callable[..., Person]) -> None:
    reader, _ = letter_for(make_person(status="etudiant", first_name="Łukasz", last_name="Wałęsa"))
    text = reader.pages[0].extract_text()
    assert "service de la scolarité" in text
    assert "Service de la scolarité" in text, "the sender"
    assert "Validation Personnel" not in text, "a student is not sent to the staff's page"
    flat = "".join(text.split())
    assert "/gestion-de-compte/validation-etudiant/sesame/" in flat, "but to Validation Étudiant"
    assert "validation-personnel" not in flat
    assert "Łukasz Wałęsa" in text or "Lukasz Walesa" in text


def test_a_name_with_markup_characters_prints_as_typed(make_person: Callable[..., Person]) -> None:
    reader, _ = letter_for(make_person(first_name="Anne & Marie", last_name="<Dupont>"))
    assert "Anne & Marie <Dupont>" in reader.pages[0].extract_text()


def test_it_carries_the_institutions_logo_when_configured(
    make_person: Callable[..., Person], settings: Any, tmp_path: Path
) -> None:
    logo = tmp_path / "logo.png"
    PIL.Image.new("RGB", (400, 120), "navy").save(logo)
    settings.SEUIL_LETTER_LOGO = str(logo)
    reader, _ = letter_for(make_person())
    assert len(reader.pages[0].images) == 1
    settings.SEUIL_LETTER_LOGO = ""
    reader, _ = letter_for(make_person(first_name="Paul"))
    assert len(reader.pages[0].images) == 0
