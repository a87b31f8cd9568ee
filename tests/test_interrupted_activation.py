"""An interrupted activation leaves the old state or the complete new one, wherever it stops."""

from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from django.test import Client

from seuil.accounts.models import Account, StateChange
from seuil.activation import services
from seuil.activation.models import CharterAcceptance, Sesame
from seuil.audit.models import AuditEvent
from seuil.mailer.models import OutgoingMail
from seuil.people.models import Person
from tests.conftest import PASSWORD, Inbox

STEPS = [
    "seuil.activation.services.make_password",
    "seuil.activation.models.Sesame.consume",
    "seuil.accounts.models.Account.activate",
    "seuil.accounts.models.Account.save",
    "seuil.accounts.models.lifecycle.LifecycleQuerySet.record_states",
    "seuil.activation.models.CharterAcceptance.save",
    "seuil.mailer.models.OutgoingMail.enqueue",
    "seuil.audit.models.AuditEvent.record",
]


def activate(sesame: Sesame) -> Any:
    return services.activate_account(
        grant=sesame,
        password=PASSWORD,
        email="jean@example.org",
        question="",
        answer="",
        ip="192.0.2.1",
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("step", STEPS)
def test_a_failure_at_any_step_leaves_the_old_state(
    step: str, make_person: Callable[..., Person]
) -> None:
    account = make_person().account
    code = Sesame.issue(account)[1]
    events = AuditEvent.objects.count()
    with (
        mock.patch(step, side_effect=RuntimeError("injected failure")),
        pytest.raises(RuntimeError),
    ):
        activate(Sesame.objects.verify(account.login, code))  # type: ignore[arg-type]
    account = Account.objects.get(pk=account.pk)
    assert account.activated_at is None
    assert not account.has_usable_password()
    assert account.pending_email == ""
    assert not StateChange.objects.exists()
    assert not CharterAcceptance.objects.exists()
    assert not OutgoingMail.objects.exists()
    assert AuditEvent.objects.count() == events
    sesame = Sesame.objects.verify(account.login, code)
    assert sesame is not None, "the Sésame stays usable"
    assert activate(sesame) is not None, "and activates once the fault is gone"


@pytest.mark.django_db(transaction=True)
def test_a_crash_inside_the_view_writes_nothing(make_person: Callable[..., Person]) -> None:
    account = make_person().account
    code = Sesame.issue(account)[1]
    client = Client(raise_request_exception=False)
    data = {"login": "jdupont", "sesame": code, "password1": PASSWORD, "password2": PASSWORD,
            "personal_email": "jean@example.org", "charter": "on"}  # fmt: skip
    with mock.patch(
        "seuil.activation.models.CharterAcceptance.save", side_effect=RuntimeError("disk full")
    ):
        response = client.post("/gestion-de-compte/validation-personnel/", data)
    assert response.status_code == 500
    assert "rien n'a été enregistré" in response.content.decode()
    assert Account.objects.get(pk=account.pk).activated_at is None
    assert client.post("/gestion-de-compte/validation-personnel/", data).status_code == 302


@pytest.mark.django_db(transaction=True)
def test_a_mail_that_fails_does_not_undo_the_activation_and_is_retried(
    make_person: Callable[..., Person], settings: Any, smtp_server: Inbox
) -> None:
    account = make_person().account
    code = Sesame.issue(account)[1]
    settings.EMAIL_PORT = 9  # the SMTP server is down during the activation
    assert activate(Sesame.objects.verify(account.login, code)) is not None  # type: ignore[arg-type]
    assert Account.objects.get(pk=account.pk).activated_at is not None
    queued = OutgoingMail.objects.pending()
    assert queued.count() == 2
    assert all(mail.attempts == 1 for mail in queued)
    settings.EMAIL_PORT = smtp_server.port
    queued.update(due_at=queued.first().created_at)  # type: ignore[union-attr]
    assert OutgoingMail.objects.send_due() == (2, 0)
    assert len(smtp_server.wait_for(2)) == 2
