"""A new member of staff, end to end over HTTP: from HR's feed to an activated account and a
confirmed personal e-mail, with mail through a real SMTP server on loopback."""

import re
from io import StringIO
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from seuil.accounts.models import Account
from tests.conftest import Inbox, text_of

pytestmark = pytest.mark.django_db(transaction=True)

FEED = """status;external_id;civility;first_name;last_name;birth_name;birth_date;start_date;end_date;personal_email
administratif;70001;Mme;Éloïse;Lefèvre-Martin;;14/03/1988;01/09/2026;;
"""


def csrf_form(page: httpx.Response) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert match, "the form carries a CSRF token"
    return match.group(1)


def link_in(text: str) -> str:
    match = re.search(r"https?://\S+/gestion-de-compte/confirmer-mail/\S+/", text)
    assert match, text
    return match.group(0)


def test_a_new_member_of_staff_activates_their_account(
    live_server: Any, smtp_server: Inbox, tmp_path: Path, settings: Any
) -> None:
    settings.SEUIL_BASE_URL = live_server.url
    # 1. HR imports the feed, 2. and issues a Sésame.
    (tmp_path / "feed.csv").write_text(FEED)
    call_command("import_people", str(tmp_path / "feed.csv"), stdout=StringIO())
    out = StringIO()
    call_command("issue_sesame", "elefevre", stdout=out)
    sesame = out.getvalue().splitlines()[-1]

    with httpx.Client(base_url=live_server.url, follow_redirects=False, timeout=30) as browser:
        # 3. The ENT's home page, 4. "Validation Personnel" in the "Gestion de compte" menu.
        home = browser.get("/")
        assert "Gestion de compte" in home.text
        link = re.search(r'href="([^"]+)"[^>]*>Validation Personnel<', home.text)
        assert link
        form = browser.get(link.group(1))
        assert form.status_code == 200
        # 5. The form, 6. the recap.
        data = {
            "csrfmiddlewaretoken": csrf_form(form),
            "login": "elefevre",
            "sesame": sesame,
            "password1": "Lbmx4kr7Tq",
            "password2": "Lbmx4kr7Tq",
            "personal_email": "eloise.lm@example.org",
            "charter": "on",
        }
        posted = browser.post(link.group(1), data=data)
        assert posted.status_code == 302
        recap = browser.get(posted.headers["location"])
        assert "Votre compte est activé" in recap.text
        assert "eloise.lefevre-martin@univ-montp3.fr" in recap.text

        # The Sésame cannot be used twice.
        again = browser.post(
            link.group(1),
            data={**data, "csrfmiddlewaretoken": csrf_form(browser.get(link.group(1)))},
        )
        assert again.status_code == 200
        assert "Identifiant ou mot de passe provisoire incorrect" in again.text

        # The notice and the confirmation reach the SMTP server.
        messages = smtp_server.wait_for(2)
        assert sorted(str(m["Subject"]).strip() for m in messages) == [
            "Confirmez votre mail personnel / Confirm your personal e-mail",
            "Votre compte ENT est activé / Your ENT account is activated",
        ]
        assert all(str(m["To"]) == "eloise.lm@example.org" for m in messages)
        for message in messages:
            assert "Lbmx4kr7Tq" not in message.as_string()
            assert sesame not in message.as_string()
            assert message.get_body(preferencelist=("html",)) is not None
        confirmation = next(m for m in messages if "Confirm" in str(m["Subject"]))
        url = link_in(text_of(confirmation))

        # The confirmation link confirms the personal address (after a button, not on GET).
        button = browser.get(url, follow_redirects=True)
        assert "Confirmer mon mail personnel" in button.text
        assert button.url.path == "/gestion-de-compte/confirmer-mail/", "the token left the address"
        confirmed = browser.post(button.url.path, data={"csrfmiddlewaretoken": csrf_form(button)})
        assert "est confirmé" in confirmed.text

    account = Account.objects.get(login="elefevre")
    assert account.recovery_email == "eloise.lm@example.org"
    # The new password authenticates.
    assert authenticate(username="elefevre", password="Lbmx4kr7Tq") == account
    assert authenticate(username="elefevre", password=sesame) is None
