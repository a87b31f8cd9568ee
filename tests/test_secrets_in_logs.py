"""No secret reaches a log or an error report: not the Sésame, the passwords, nor the answer."""

import json
import logging
from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from django.test import Client
from django.views.debug import ExceptionReporter

from seuil.activation.models import Sesame
from seuil.audit.models import AuditEvent
from seuil.people.models import Person
from tests.conftest import PASSWORD

SECRETS = (PASSWORD, "Zq8vNw3kLp", "Rue des Lilas")


@pytest.mark.django_db
def test_a_crash_during_activation_leaks_no_secret(
    make_person: Callable[..., Person], caplog: pytest.LogCaptureFixture
) -> None:
    account = make_person().account
    code = Sesame.issue(account)[1]
    data = {"login": "jdupont", "sesame": code, "password1": SECRETS[0], "password2": SECRETS[0],
            "personal_email": "", "secret_question": "Dans quelle rue avez-vous grandi ?",
            "secret_answer": SECRETS[2], "charter": "on"}  # fmt: skip
    caplog.set_level(logging.DEBUG)
    with mock.patch(
        "seuil.activation.models.CharterAcceptance.save", side_effect=RuntimeError("disk")
    ):
        response = Client(raise_request_exception=False).post(
            "/gestion-de-compte/validation-personnel/", data
        )
    assert response.status_code == 500
    record = next(r for r in caplog.records if r.name == "django.request")
    # What an administrator would be mailed: the request, its POST, every frame's variables.
    report = ExceptionReporter(record.request, *record.exc_info).get_traceback_text()  # type: ignore[attr-defined, misc]
    assert "RuntimeError" in report
    for secret in (code, code.replace("-", ""), *SECRETS):
        assert secret not in caplog.text
        assert secret not in report
    assert "********************" in report


@pytest.mark.django_db
def test_failed_attempts_log_and_audit_no_secret(
    make_person: Callable[..., Person],
    caplog: pytest.LogCaptureFixture,
    client: Client,
    settings: Any,
) -> None:
    make_person()
    settings.DEBUG = True  # then every SQL statement is logged with its parameters
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django.db.backends")
    for _ in range(5):  # up to the lockout
        client.post(
            "/gestion-de-compte/validation-personnel/",
            {
                "login": "jdupont",
                "sesame": "WRNG-WRNG-WRNG-W",
                "password1": SECRETS[1],
                "password2": SECRETS[1],
            },
        )
    statements = [r for r in caplog.records if r.name == "django.db.backends"]
    assert len(statements) > 20, "the attempts' statements were logged"
    assert "'jdupont'" in caplog.text, "with their parameters: a secret there would show"
    events = list(AuditEvent.objects.values())
    assert {("activation", "failure"), ("lockout", "locked")} <= {
        (e["action"], e["outcome"]) for e in events
    }
    audited = json.dumps(events, default=str)
    for secret in ("WRNG", SECRETS[1]):
        assert secret not in caplog.text
        assert secret not in audited


@pytest.mark.django_db
def test_no_live_token_reaches_seuils_log(make_person: Callable[..., Person]) -> None:
    """Django's django.request warning writes the path of a 400: the reset token was in it."""
    from io import StringIO

    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    from seuil.accounts.models import Account
    from seuil.recovery.tokens import reset_tokens
    from seuil.security.logs import RedactTokens

    account = make_person(password=PASSWORD).account
    token = reset_tokens.make_token(account)
    uid = urlsafe_base64_encode(force_bytes(account.pk))
    handler = next(
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, RedactTokens) for f in h.filters)
    )
    stream = StringIO()
    previous = handler.setStream(stream)  # type: ignore[attr-defined]
    try:
        client = Client()
        # A live link used once: the reset makes it void, and a second visit answers 400.
        Account.objects.filter(pk=account.pk).update(password="argon2$changed")
        response = client.get(f"/gestion-de-compte/nouveau-mot-de-passe/{uid}/{token}/")
        client.get(f"/gestion-de-compte/confirmer-mail/{token}x/")
    finally:
        handler.setStream(previous)  # type: ignore[attr-defined]
    assert response.status_code == 400
    written = stream.getvalue()
    assert "Bad Request: /gestion-de-compte/nouveau-mot-de-passe/…/…" in written
    assert token not in written
