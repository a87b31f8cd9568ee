"""English and French as each is written: French spacing, French and English dates, the charter
in English, and staff pages that speak to staff."""

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from seuil.accounts.services import notify
from seuil.activation.charter import charter_in
from seuil.mailer.models import OutgoingMail
from seuil.people.models import Person
from seuil.typography import _TEXT, NBSP, french, french_html
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_french_spacing_is_non_breaking_inside_guillemets_and_before_signs() -> None:
    assert french("le « Sésame » : oui ? non ! soit ;") == (
        f"le «{NBSP}Sésame{NBSP}»{NBSP}: oui{NBSP}? non{NBSP}! soit{NBSP};"
    )
    assert french("http://x.fr:8000/?a=1 à 15:52") == "http://x.fr:8000/?a=1 à 15:52"


def test_only_text_changes_never_a_tag_or_an_attribute() -> None:
    html = '<a title="Aide : ici" href="/?q=1">Aide : ici</a>'
    assert french_html(html) == f'<a title="Aide : ici" href="/?q=1">Aide{NBSP}: ici</a>'


HTML_BITS = [
    "<",
    ">",
    " ",
    NBSP,
    ":",
    ";",
    "!",
    "?",
    "»",
    "«",
    "a",
    "<p>",
    "</p>",
    '<a title="x : y">',
]


@given(st.lists(st.sampled_from(HTML_BITS), max_size=16).map("".join))
def test_the_one_pass_over_a_page_spaces_as_the_text_by_text_rule(html: str) -> None:
    """french_html's fast path gives what applying french() to each text between tags gives."""
    assert french_html(html) == _TEXT.sub(lambda m: ">" + french(m.group(1)) + "<", html)


@given(st.text())
def test_spacing_changes_only_spaces(text: str) -> None:
    assert french(text).replace(NBSP, " ") == text.replace(NBSP, " ")


def test_french_pages_keep_sesame_on_one_line_and_english_ones_have_no_french_space(
    client: Client,
) -> None:
    page = client.get("/gestion-de-compte/validation-personnel/").content.decode()
    assert f"«{NBSP}Sésame{NBSP}»" in page
    assert "« Sésame »" not in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    english = client.get("/gestion-de-compte/validation-personnel/").content.decode()
    assert f"{NBSP}:" not in english.replace(f'data-colon="{NBSP}: "', "")


def test_dates_read_as_each_language_writes_them(
    make_person: Callable[..., Person], settings: Any, time_machine: Any
) -> None:
    """ "le 29 novembre 2026 à 15 h 52", and no "p.m.." in English."""
    time_machine.move_to(datetime(2026, 11, 29, 14, 52, tzinfo=UTC), tick=False)
    account = make_person(password=PASSWORD).account
    account.recovery_email = "jean@example.org"
    account.save()
    notify(account, "password-changed")
    OutgoingMail.objects.send_due()
    body = mail.outbox[0].body
    assert "le 29 novembre 2026 à 15 h 52." in body
    assert "p.m." not in body
    assert "29 November 2026, 15:52." in body
    html = str(mail.outbox[0].alternatives[0][0])  # type: ignore[union-attr]
    assert "&lt;p" not in html, "the French part's markup is not escaped"
    assert "15 h 52" in html


def test_the_charter_has_an_english_version_of_the_same_text(client: Client, settings: Any) -> None:
    english = charter_in("en", settings.SEUIL_CHARTER_FILE)
    assert english.language == "en"
    assert english.version == charter_in("fr", settings.SEUIL_CHARTER_FILE).version
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/charte/").content.decode()
    assert '<article class="charter" lang="en">' in page
    assert "The account is personal and cannot be transferred." in page


def test_a_stale_translation_is_never_shown(tmp_path: Path) -> None:
    (tmp_path / "charte.txt").write_text("Version: 2\nTitre: Charte\n## Objet\nTexte.\n")
    (tmp_path / "charte.en.txt").write_text("Version: 1\nTitle: Terms\n## Purpose\nText.\n")
    assert charter_in("en", tmp_path / "charte.txt").language == "fr"


def test_the_staff_page_does_not_send_staff_to_the_scolarite(client: Client) -> None:
    page = client.post(
        "/gestion-de-compte/validation-personnel/", {"login": "nobody", "sesame": "XXXX"}
    ).content.decode()
    assert "la DRH peut vous en remettre un nouveau" in page.replace(NBSP, " ")
    assert "(ou la scolarité)" not in page
