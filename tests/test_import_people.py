"""`seuil import_people`: what HR and scolarité tools really export, and every bad row."""

from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from seuil.accounts.models import Account
from seuil.people.models import Person

pytestmark = pytest.mark.django_db

HEADER = "status,external_id,civility,first_name,last_name,birth_name,birth_date,start_date,end_date,personal_email"
JEAN = "administratif,1001,M.,Jean,Dupont,,1980-05-12,2026-09-01,,jean.dupont@example.org"


def run(tmp_path: Path, text: str | bytes, *args: str) -> tuple[str, str]:
    path = tmp_path / "people.csv"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    out, err = StringIO(), StringIO()
    call_command("import_people", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def errors_of(tmp_path: Path, text: str | bytes) -> str:
    path = tmp_path / "people.csv"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_people", str(path), stdout=StringIO(), stderr=err)
    return err.getvalue()


def refused(tmp_path: Path, text: str | bytes) -> str:
    with pytest.raises(CommandError) as raised:
        run(tmp_path, text)
    assert raised.value.returncode == 1
    assert Person.objects.count() == 0, "a bad file must write nothing"
    return str(raised.value)


def test_it_registers_people_with_logins_and_addresses(tmp_path: Path) -> None:
    out, _ = run(
        tmp_path,
        f"{HEADER}\n{JEAN}\netudiant,E2026001,,Éloïse,Lefèvre-Martin,,2005-03-02,2026-09-01,2027-08-31,\n",
    )
    assert out.strip().endswith("2 personnes créées, 0 mises à jour, 0 inchangées")
    assert "+ 1001 Jean Dupont → jdupont jean.dupont@univ-montp3.fr" in out, "the logins given"
    jean = Person.objects.get(external_id="1001")
    assert (jean.account.login, jean.account.mail) == ("jdupont", "jean.dupont@univ-montp3.fr")
    assert jean.personal_email == "jean.dupont@example.org"
    eloise = Person.objects.get(external_id="E2026001")
    assert eloise.account.mail == "eloise.lefevre-martin@etu.univ-montp3.fr"
    assert eloise.end_date == date(2027, 8, 31)
    assert not eloise.account.has_usable_password()


def test_it_reads_french_excel_semicolons_bom_and_dates(tmp_path: Path) -> None:
    text = "\ufeff" + HEADER.replace(",", ";") + "\n"
    text += "enseignant;1002;Mme;Anne;Martin;Durand;12/05/1975;1/9/2026;;\n"
    run(tmp_path, text.encode("utf-8"))
    anne = Person.objects.get(external_id="1002")
    assert anne.account.login == "adurand"  # from the birth name
    assert anne.start_date == date(2026, 9, 1)
    assert anne.birth_date == date(1975, 5, 12)
    assert anne.civility == "Mme"


def test_it_accepts_columns_in_any_order_and_without_optional_ones(tmp_path: Path) -> None:
    run(
        tmp_path,
        "last_name,first_name,start_date,birth_date,external_id,status\nDupont,Jean,2026-09-01,1980-01-01,7,enseignant\n",
    )
    assert Person.objects.get().account.login == "jdupont"


def test_reimporting_the_same_file_changes_nothing(tmp_path: Path) -> None:
    run(tmp_path, f"{HEADER}\n{JEAN}\n")
    before = list(Person.objects.values())
    out, _ = run(tmp_path, f"{HEADER}\n{JEAN}\n")
    assert out.strip() == "0 personnes créées, 0 mises à jour, 1 inchangée"
    assert list(Person.objects.values()) == before


def test_an_upsert_updates_the_feed_but_never_the_login_or_address(tmp_path: Path) -> None:
    run(tmp_path, f"{HEADER}\n{JEAN}\n")
    married = (
        "administratif,1001,M.,Jean,Durand,Dupont,1980-05-12,2026-09-01,2027-06-30,jd@example.net"
    )
    out, _ = run(tmp_path, f"{HEADER}\n{married}\n")
    assert "0 personnes créées, 1 mise à jour" in out
    jean = Person.objects.get()
    assert (jean.last_name, jean.end_date, jean.personal_email) == (
        "Durand",
        date(2027, 6, 30),
        "jd@example.net",
    )
    assert (jean.account.login, jean.account.mail) == ("jdupont", "jean.dupont@univ-montp3.fr")


def test_staff_and_students_may_share_a_number(tmp_path: Path) -> None:
    student = "etudiant,1001,,Jean,Dupont,,2004-01-01,2026-09-01,,"
    run(tmp_path, f"{HEADER}\n{JEAN}\n{student}\n")
    assert Person.objects.count() == 2
    assert sorted(Account.objects.filter(is_staff=False).values_list("login", flat=True)) == [
        "jdupont",
        "jdupont2",
    ]


def test_homonyms_in_one_file_are_numbered_in_file_order(tmp_path: Path) -> None:
    rows = [f"enseignant,{n},,Jean,Dupont,,1980-01-01,2026-09-01,," for n in range(100, 112)]
    run(tmp_path, HEADER + "\n" + "\n".join(rows) + "\n")
    logins = [p.account.login for p in Person.objects.order_by("external_id")]
    assert logins[:2] == ["jdupont", "jdupont2"]
    assert logins[9:] == ["jdupon10", "jdupon11", "jdupon12"]
    assert Person.objects.get(external_id="111").account.mail == "jean.dupont12@univ-montp3.fr"


def test_a_dry_run_reports_and_writes_nothing(tmp_path: Path) -> None:
    out, _ = run(tmp_path, f"{HEADER}\n{JEAN}\n", "--dry-run")
    assert "+ 1001 Jean Dupont → jdupont jean.dupont@univ-montp3.fr" in out
    assert "rien n'a été écrit" in out
    assert Person.objects.count() == 0
    assert Account.objects.count() == 0


def test_a_dry_run_reports_updates(tmp_path: Path) -> None:
    run(tmp_path, f"{HEADER}\n{JEAN}\n")
    out, _ = run(tmp_path, f"{HEADER}\n{JEAN.replace('Dupont,', 'Durand,')}\n", "--dry-run")
    assert "~ 1001 Jean Durand: last_name" in out
    assert Person.objects.get().last_name == "Dupont"


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (
            "stagiaire,1,,Jean,Dupont,,1980-01-01,2026-09-01,,",
            "ligne 2 : statut inconnu « stagiaire »",
        ),
        ("administratif,1,,,Dupont,,1980-01-01,2026-09-01,,", "ligne 2 : prénom vide"),
        ("administratif,1,,Jean,,,1980-01-01,2026-09-01,,", "ligne 2 : nom vide"),
        (
            "administratif,1,,Jean,---,,1980-01-01,2026-09-01,,",
            "ligne 2 : le nom ne contient aucune lettre",
        ),
        (
            "administratif,1,,😀,Dupont,,1980-01-01,2026-09-01,,",
            "ligne 2 : le prénom ne contient aucune lettre",
        ),
        (
            "administratif,1,,Jean,Dupont,,1980-13-01,2026-09-01,,",
            "ligne 2 : date de naissance « 1980-13-01 » invalide",
        ),
        (
            "administratif,1,,Jean,Dupont,,31/02/1980,2026-09-01,,",
            "ligne 2 : date de naissance « 31/02/1980 » invalide",
        ),
        (
            "administratif,1,,Jean,Dupont,,1980-01-01,demain,,",
            "ligne 2 : date de début « demain » invalide",
        ),
        (
            "administratif,1,,Jean,Dupont,,1980-01-01,2026-09-01,2026-08-31,",
            "ligne 2 : la date de fin précède la date de début",
        ),
        (
            "administratif,1,,Jean,Dupont,,1980-01-01,2026-09-01,,jean@",
            "ligne 2 : adresse électronique « jean@ » invalide",
        ),
        (
            "administratif,1,,Jean,Dupont,,1980-01-01,2026-09-01,,jéan@exemple.fr",
            "ligne 2 : adresse électronique « jéan@exemple.fr » invalide",
        ),
        (
            "administratif,1,,Jean,Dupont,,1980-01-01,2026-09-01,,j@univ-montp3.fr",
            "est une adresse de l'établissement",
        ),
        (
            "administratif,,,Jean,Dupont,,1980-01-01,2026-09-01,,",
            "ligne 2 : numéro (external_id) vide",
        ),
        (
            "administratif,1,Dr,Jean,Dupont,,1980-01-01,2026-09-01,,",
            "ligne 2 : civilité « dr » inconnue",
        ),
        ("administratif,1,,Jean,Dupont", "ligne 2 : 5 champs au lieu de 10"),
        (
            "administratif,1,,Jean\x00,Dupont,,1980-01-01,2026-09-01,,",
            "ligne 2 : prénom contient un caractère de contrôle",
        ),
    ],
)
def test_it_reports_each_bad_row_and_writes_nothing(tmp_path: Path, row: str, reason: str) -> None:
    assert "1 ligne(s) en erreur" in refused(tmp_path, f"{HEADER}\n{row}\n{JEAN}\n")
    assert reason in errors_of(tmp_path, f"{HEADER}\n{row}\n{JEAN}\n")


def test_it_reports_the_line_and_reason_of_each_bad_row(tmp_path: Path) -> None:
    bad = "stagiaire,2,,Jean,Dupont,,1980-01-01,2026-09-01,,"
    worse = "administratif,4,,Jean,Dupont,,1980-01-01,2026-02-30,,"
    text = f"{HEADER}\n{JEAN}\n{bad}\n{JEAN.replace('1001', '1003')}\n{worse}\n"
    assert "2 ligne(s) en erreur" in refused(tmp_path, text)
    lines = errors_of(tmp_path, text).splitlines()
    assert lines[0].startswith("ligne 3 : statut inconnu « stagiaire »")
    assert lines[1].startswith("ligne 5 : date de début « 2026-02-30 » invalide")
    assert Person.objects.count() == 0


def test_it_refuses_an_external_id_repeated_in_the_file(tmp_path: Path) -> None:
    message = refused(tmp_path, f"{HEADER}\n{JEAN}\n{JEAN.replace('Jean', 'Paul')}\n")
    assert "1 ligne(s) en erreur" in message


def test_it_names_the_first_line_of_a_repeated_external_id(tmp_path: Path) -> None:
    errors = errors_of(tmp_path, f"{HEADER}\n{JEAN}\n{JEAN.replace('Jean', 'Paul')}\n")
    assert "ligne 3 : numéro 1001 déjà présent ligne 2" in errors


def test_it_refuses_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    text = f"{HEADER}\n{JEAN}\nadministratif,2,,Hélène,Dupont,,1980-01-01,2026-09-01,,\n"
    refused(tmp_path, text.encode("latin-1"))
    assert (
        "ligne 3 : le fichier n'est pas encodé en UTF-8 ; s'il vient d'Excel sous Windows, "
        "relancez avec --encoding cp1252"
    ) in errors_of(tmp_path, text.encode("latin-1"))


def test_a_windows_excel_file_is_read_when_its_encoding_is_named(tmp_path: Path) -> None:
    text = f"{HEADER}\nadministratif,2,,Hélène,Dupont,,1980-01-01,2026-09-01,,\n"
    path = tmp_path / "cp1252.csv"
    path.write_bytes(text.encode("cp1252"))
    call_command("import_people", str(path), "--encoding", "cp1252", stdout=StringIO())
    assert Person.objects.get().first_name == "Hélène"


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (
            "status,external_id,first_name,last_name,birth_date",
            "colonne obligatoire absente : start_date",
        ),
        (HEADER + ",shoe_size", "colonne inconnue « shoe_size »"),
        (HEADER + ",status", "colonne « status » en double"),
        ("", "le fichier est vide"),
    ],
)
def test_it_refuses_a_bad_header(tmp_path: Path, header: str, reason: str) -> None:
    assert f"ligne 1 : {reason}" in errors_of(tmp_path, f"{header}\n{JEAN}\n")


def test_it_says_when_the_file_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="impossible de lire"):
        call_command("import_people", str(tmp_path / "missing.csv"))


def test_a_large_file_shows_progress(tmp_path: Path) -> None:
    rows = [f"etudiant,E{n},,Jean,Dupont{n},,2004-01-01,2026-09-01,," for n in range(10_000)]
    _, err = run(tmp_path, HEADER + "\n" + "\n".join(rows) + "\n")
    assert "10000/10000" in err
    assert Person.objects.count() == 10_000
