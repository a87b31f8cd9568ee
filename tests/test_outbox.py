"""The outbox: mail leaves after the commit, in French and English, and a failure is retried."""

from collections.abc import Callable
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from seuil.mailer.models import OutgoingMail
from seuil.people.models import Person
from tests.conftest import Inbox, text_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def account(make_person: Callable[..., Person]) -> Any:
    account = make_person().account
    account.pending_email = "jean@example.org"
    account.save()
    return account


def test_mail_leaves_only_after_the_commit(account: Any) -> None:
    with transaction.atomic():
        OutgoingMail.enqueue("accounts.confirm_email", to="jean@example.org", account=account)
        assert mail.outbox == []
    assert len(mail.outbox) == 1
    assert OutgoingMail.objects.get().sent_at is not None


def test_a_batch_reads_its_messages_and_accounts_in_one_query(
    make_person: Callable[..., Person], django_assert_num_queries: Any
) -> None:
    people = [make_person(last_name=name) for name in ("Roux", "Blanc", "Noir")]
    with transaction.atomic():
        for person in people:
            OutgoingMail.objects.create(
                kind="accounts.confirm_email", to="x@example.org", account=person.account
            )
    # One read, then a claim and a record of the sending for each message.
    with django_assert_num_queries(1 + 2 * len(people)):
        assert OutgoingMail.objects.send_due() == (3, 0)
    assert len(mail.outbox) == 3


def test_a_rolled_back_change_sends_nothing(account: Any) -> None:
    def change_that_fails() -> None:
        with transaction.atomic():
            OutgoingMail.enqueue("accounts.confirm_email", to="jean@example.org", account=account)
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        change_that_fails()
    assert mail.outbox == []
    assert not OutgoingMail.objects.exists()


def test_each_message_has_text_and_html_in_french_and_english(account: Any) -> None:
    OutgoingMail.enqueue("accounts.confirm_email", to="jean@example.org", account=account)
    message = mail.outbox[0]
    assert message.subject == "Confirmez votre mail personnel / Confirm your personal e-mail"
    assert "Pour la confirmer, suivez ce lien" in message.body
    assert "To confirm it, follow this link" in message.body
    html, kind = message.alternatives[0]  # type: ignore[attr-defined]
    assert kind == "text/html"
    assert 'lang="fr"' in html
    assert 'lang="en"' in html
    assert "Confirm my personal e-mail" in html


def test_rows_hold_no_secret_the_link_is_made_when_sent(account: Any) -> None:
    OutgoingMail.enqueue("accounts.confirm_email", to="jean@example.org", account=account)
    row = OutgoingMail.objects.get()
    token = account.email_token()
    assert token.split(":")[0] not in str(row.context)
    assert "/gestion-de-compte/confirmer-mail/" in mail.outbox[0].body


def test_a_failed_send_stays_queued_and_is_retried(
    account: Any, settings: Any, smtp_server: Inbox
) -> None:
    settings.EMAIL_PORT = 9  # nothing listens: the connection is refused
    OutgoingMail.enqueue("accounts.confirm_email", to="jean@example.org", account=account)
    row = OutgoingMail.objects.get()
    assert (row.sent_at, row.attempts) == (None, 1)
    assert row.last_error.startswith("ConnectionRefusedError")
    assert row.next_attempt_at > timezone.now() + timedelta(seconds=50)
    settings.EMAIL_PORT = smtp_server.port
    out = StringIO()
    call_command("send_mail", stdout=out)
    assert out.getvalue().strip() == "0 sent, 0 failed, 1 waiting", "not due before its delay"
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        call_command("send_mail", stdout=out)
    assert out.getvalue().splitlines()[-1] == "1 sent, 0 failed, 0 waiting"
    assert "Pour la confirmer" in text_of(smtp_server.wait_for(1)[0])


def test_a_claimed_message_is_not_sent_twice(account: Any, settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_PORT = 9
    OutgoingMail.enqueue("accounts.confirm_email", to="jean@example.org", account=account)
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        first, second = OutgoingMail.objects.get(), OutgoingMail.objects.get()
        assert first.claim()
        assert not second.claim()


def test_a_dry_run_counts_and_sends_nothing(account: Any, settings: Any) -> None:
    settings.EMAIL_PORT = 9
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    OutgoingMail.enqueue("accounts.confirm_email", to="jean@example.org", account=account)
    out = StringIO()
    call_command("send_mail", "--dry-run", stdout=out)
    assert out.getvalue().strip() == "1 message(s) waiting (dry run: nothing sent)"
