"""No secret reaches a log or an error report: not the Sésame, the passwords, nor the answer."""

import logging
from collections.abc import Callable
from unittest import mock

import pytest
from django.test import Client
from django.views.debug import ExceptionReporter

from seuil.activation.models import Sesame
from seuil.people.models import Person

SECRETS = ("Lbmx4kr7Tq", "Zq8vNw3kLp", "Rue des Lilas")


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
    make_person: Callable[..., Person], caplog: pytest.LogCaptureFixture, client: Client
) -> None:
    make_person()
    caplog.set_level(logging.DEBUG)
    client.post(
        "/gestion-de-compte/validation-personnel/",
        {
            "login": "jdupont",
            "sesame": "WRNG-WRNG-WRNG-W",
            "password1": SECRETS[1],
            "password2": "x",
        },
    )
    assert "WRNG" not in caplog.text
    assert SECRETS[1] not in caplog.text
