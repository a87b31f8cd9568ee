"""A student activates through "Validation Étudiant", end to end over HTTP, the code read from a
real SMTP server on loopback."""

import re
from io import StringIO
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.core.management import call_command

from seuil.accounts.models import Account
from tests.conftest import Inbox, text_of

pytestmark = pytest.mark.django_db(transaction=True)
FEED = "status;external_id;first_name;last_name;birth_date;start_date;end_date;personal_email\n" \
       "etudiant;22600002;Łukasz;Wałęsa;03/02/2006;01/09/2026;31/08/2027;lukasz.w@example.org\n"  # fmt: skip


def csrf(page: httpx.Response) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert match
    return match.group(1)


def test_a_student_activates_with_a_code_by_mail(
    live_server: Any, smtp_server: Inbox, tmp_path: Path
) -> None:
    (tmp_path / "feed.csv").write_text(FEED)
    call_command("import_people", str(tmp_path / "feed.csv"), stdout=StringIO())
    with httpx.Client(base_url=live_server.url, follow_redirects=True, timeout=30) as browser:
        home = browser.get("/")
        link = re.search(r'href="([^"]+)"[^>]*>Validation Étudiant<', home.text)
        assert link
        page = browser.get(link.group(1))
        code_page = browser.post(
            link.group(1),
            data={
                "csrfmiddlewaretoken": csrf(page),
                "number": "22600002",
                "birth_date": "03/02/2006",
            },
        )
        assert "l***@example.org" in code_page.text
        [message] = smtp_server.wait_for(1)
        assert str(message["To"]) == "lukasz.w@example.org"
        code = re.search(r"\b(\d{4}) (\d{4})\b", text_of(message))
        assert code
        form = browser.post(
            code_page.url.path, data={"csrfmiddlewaretoken": csrf(code_page), "code": code.group(0)}
        )
        assert "Nouveau mot de passe" in form.text
        recap = browser.post(form.url.path, data={"csrfmiddlewaretoken": csrf(form), "password1": "Lbmx4kr7Tq",
                                                   "password2": "Lbmx4kr7Tq", "personal_email": "lukasz.w@example.org", "charter": "on"})  # fmt: skip
        assert "Votre compte est activé" in recap.text
        assert "lukasz.walesa@etu.univ-montp3.fr" in recap.text
        notice = smtp_server.wait_for(2)[1]
        assert "Votre compte ENT est activé" in str(notice["Subject"])
    account = Account.objects.get(login="lwalesa")
    assert account.recovery_email == "lukasz.w@example.org", "the code proved the address"
    assert account.check_password("Lbmx4kr7Tq")
