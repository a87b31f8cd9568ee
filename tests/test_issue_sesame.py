"""`seuil issue_sesame LOGIN [--letter FILE.pdf]`: the Sésame once, as the last line of stdout."""

from collections.abc import Callable
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from pypdf import PdfReader

from seuil.activation.models import Sesame
from seuil.people.models import Person

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
    assert "previous one revoked" in lines[0]
    assert Sesame.objects.verify(account.login, first) is None


def test_a_dry_run_issues_nothing(make_person: Callable[..., Person]) -> None:
    make_person()
    assert issue("jdupont", "--dry-run") == ["would issue a Sésame for jdupont (dry run)"]
    assert not Sesame.objects.exists()


def test_it_refuses_an_unknown_login() -> None:
    with pytest.raises(CommandError, match="no registered person has the login 'nobody'"):
        issue("nobody")
