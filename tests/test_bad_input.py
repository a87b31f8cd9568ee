"""Anything at all, into every form and the import: never a 500, never half-written, always a
clear message in the page's language."""

from io import StringIO
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import quote

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils.http import url_has_allowed_host_and_scheme
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seuil.accounts.models import Account, StateChange
from seuil.activation.models import CharterAcceptance
from seuil.mailer.models import OutgoingMail
from seuil.people.importing import parse_people_csv
from seuil.people.models import Person
from tests.conftest import ACTIVATION_URL

pytestmark = pytest.mark.django_db
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

anything = st.one_of(
    st.text(max_size=80),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.sampled_from(["", "\x00", "\x00" * 50, "é" * 10_000, "A" * 300, "1900-13-45", "../../etc/passwd",
                     "<script>alert(1)</script>", "' OR 1=1 --", "\u202e\u200b", "jdupont"]),
)  # fmt: skip
form = st.fixed_dictionaries(
    {},
    optional=dict.fromkeys(
        [
            "login",
            "sesame",
            "password1",
            "password2",
            "personal_email",
            "secret_question",
            "secret_answer",
            "charter",
            "csrfmiddlewaretoken",
        ],
        anything,
    ),
)


@pytest.fixture
def quiet(settings: Any) -> None:
    settings.SEUIL_RATE_LIMIT = (1_000_000, 60)


@pytest.fixture
def known(with_sesame: tuple[Person, str]) -> Person:
    return with_sesame[0]


def nothing_half_written(person: Person) -> None:
    person.account.refresh_from_db()
    assert person.account.activated_at is None
    assert not CharterAcceptance.objects.exists()
    assert not StateChange.objects.exists()
    assert not OutgoingMail.objects.exists()


@FUZZ
@given(data=form, language=st.sampled_from(["fr", "en"]))
@pytest.mark.usefixtures("quiet")
def test_the_activation_form_survives_anything(
    client: Client, known: Person, data: dict[str, str], language: str
) -> None:
    response = client.post(ACTIVATION_URL, data, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    page = response.content.decode()
    assert ("Le formulaire comporte" in page) if language == "fr" else ("The form has" in page)
    nothing_half_written(known)


@FUZZ
@given(
    body=st.binary(max_size=2000),
    kind=st.sampled_from(
        ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain"]
    ),
)
@pytest.mark.usefixtures("quiet")
def test_any_request_body_is_answered_without_a_500(
    client: Client, known: Person, body: bytes, kind: str
) -> None:
    response = client.generic("POST", ACTIVATION_URL, body, content_type=kind)
    assert response.status_code in (200, 400)
    nothing_half_written(known)


@pytest.mark.usefixtures("quiet")
def test_a_megabyte_in_a_field_is_refused_at_once(client: Client, known: Person) -> None:
    response = client.post(ACTIVATION_URL, {"login": "jdupont", "password1": "x" * 1_000_000})
    assert response.status_code == 200
    assert "Assurez-vous que cette valeur comporte au plus" in response.content.decode()
    nothing_half_written(known)


@pytest.mark.usefixtures("quiet")
def test_megabytes_in_every_field_are_refused_with_a_clear_page(
    client: Client, known: Person
) -> None:
    fields = ["login", "sesame", "password1", "password2", "secret_answer"]
    response = client.post(ACTIVATION_URL, dict.fromkeys(fields, "x" * 1_000_000))
    assert response.status_code == 413, "refused by its length, before it is read"
    assert "Ce que votre navigateur a envoyé n'a pas pu être lu" in response.content.decode()
    nothing_half_written(known)


@FUZZ
@given(
    token=st.text(
        alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="/?#"),
        min_size=1,
        max_size=200,
    )
)
@pytest.mark.usefixtures("quiet")
def test_any_confirmation_token_is_answered_without_a_500(client: Client, token: str) -> None:
    link = client.get(f"/gestion-de-compte/confirmer-mail/{quote(token, safe='')}/")
    assert link.status_code == 302
    with mock.patch.object(Account, "confirm_email", wraps=Account.confirm_email) as confirm:
        response = client.post("/gestion-de-compte/confirmer-mail/")
    assert response.status_code == 200
    confirm.assert_called_once_with(token[:500])  # the token was parsed, and refused
    assert "Ce lien n'est plus valable" in response.content.decode()


@FUZZ
@given(language=anything, next_url=anything)
@pytest.mark.usefixtures("quiet")
def test_the_language_switch_survives_anything_and_stays_on_the_site(
    client: Client, language: str, next_url: str
) -> None:
    response = client.post("/i18n/setlang/", {"language": language, "next": next_url})
    assert response.status_code in (200, 302, 400)
    if response.status_code == 302:
        assert url_has_allowed_host_and_scheme(response["Location"], allowed_hosts={"testserver"})


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=3000))
def test_the_csv_parser_never_breaks_on_any_bytes(data: bytes) -> None:
    people, errors = parse_people_csv(data)
    assert all(error.startswith("ligne ") for error in errors)
    assert not (people and errors)


header = "status;external_id;first_name;last_name;birth_date;start_date;end_date;personal_email\n"
cell = st.text(
    alphabet=st.characters(blacklist_characters=';\n\r"', blacklist_categories=["Cs"]), max_size=30
)


@FUZZ
@given(rows=st.lists(st.lists(cell, min_size=8, max_size=8), max_size=6))
def test_an_import_of_any_rows_is_all_or_nothing(tmp_path: Path, rows: list[list[str]]) -> None:
    before = Person.objects.count()
    text = header + "".join(";".join(row) + "\n" for row in rows)
    path = tmp_path / "feed.csv"
    path.write_text(text, encoding="utf-8")
    people, errors = parse_people_csv(text.encode())
    if errors:
        with pytest.raises(CommandError) as refused:
            call_command("import_people", str(path), stdout=StringIO(), stderr=StringIO())
        assert refused.value.returncode == 1
        assert Person.objects.count() == before
    else:
        known = {(p.is_student, p.external_id) for p in Person.objects.all()}
        new = [p for p in people if (p.is_student, p.external_id) not in known]
        call_command("import_people", str(path), stdout=StringIO(), stderr=StringIO())
        assert Person.objects.count() == before + len(new)
