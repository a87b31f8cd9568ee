"""The usage charter: its own page, a configurable file, a version."""

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from seuil.activation.charter import load_charter


def test_the_charter_has_its_page_with_its_version(client: Client) -> None:
    page = client.get("/charte/").content.decode()
    assert "Charte d&#x27;utilisation de l&#x27;environnement numérique de travail" in page
    assert "Version 2026-09" in page
    assert "Le compte est personnel et incessible." in page


def test_a_configured_file_gives_its_version_title_and_text(tmp_path: Path) -> None:
    path = tmp_path / "charte.txt"
    path.write_text("Version: 3\nTitre: Charte\n\n## Objet\nUn paragraphe.\n")
    charter = load_charter(path)
    assert (charter.version, charter.title) == ("3", "Charte")
    assert [(b.heading, b.text) for b in charter.blocks] == [
        (True, "Objet"),
        (False, "Un paragraphe."),
    ]


def test_a_charter_without_a_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "charte.txt"
    path.write_text("## Objet\nUn paragraphe.\n")
    with pytest.raises(ImproperlyConfigured, match="Version"):
        load_charter(path)
