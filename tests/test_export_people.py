"""`seuil export_people`: one CSV row per person, with login, address and SupAnn state."""

import csv
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db

FEED = """status;external_id;first_name;last_name;birth_date;start_date
administratif;1001;Jean;Dupont;1980-05-12;2026-09-01
etudiant;E1;Zoë;Brontë;2005-01-01;2026-09-01
"""


def export(*args: str) -> list[dict[str, str]]:
    out = StringIO()
    call_command("export_people", *args, stdout=out)
    return list(csv.DictReader(StringIO(out.getvalue())))


def test_it_exports_logins_addresses_and_states(tmp_path: Path) -> None:
    (tmp_path / "feed.csv").write_text(FEED)
    call_command("import_people", str(tmp_path / "feed.csv"), stdout=StringIO())
    assert export() == [
        {"external_id": "1001", "status": "administratif", "first_name": "Jean",
         "last_name": "Dupont", "login": "jdupont", "mail": "jean.dupont@univ-montp3.fr",
         "account_state": "SupannCree"},
        {"external_id": "E1", "status": "etudiant", "first_name": "Zoë", "last_name": "Brontë",
         "login": "zbronte", "mail": "zoe.bronte@etu.univ-montp3.fr",
         "account_state": "SupannCree"},
    ]  # fmt: skip


def test_it_keeps_one_status(tmp_path: Path) -> None:
    (tmp_path / "feed.csv").write_text(FEED)
    call_command("import_people", str(tmp_path / "feed.csv"), stdout=StringIO())
    assert [row["login"] for row in export("--status", "etudiant")] == ["zbronte"]


def test_it_refuses_an_unknown_status() -> None:
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("export_people", "--status", "stagiaire")


def test_an_empty_registry_exports_the_header_only() -> None:
    out = StringIO()
    call_command("export_people", stdout=out)
    assert out.getvalue() == "external_id,status,first_name,last_name,login,mail,account_state\n"
