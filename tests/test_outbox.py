"""The outbox: mail leaves after the commit, in French and English, and a failure is retried."""

import threading
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from io import StringIO
from typing import Any, ClassVar

import pytest
import time_machine
from django.core import mail
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from seuil.accounts.mails import confirm_email
from seuil.accounts.models import Account
from seuil.core.queue import QueueState
from seuil.mailer.kinds import KINDS, kind
from seuil.mailer.models import OutgoingMail
from seuil.mailer.rendering import Draft
from seuil.people.models import Person
from tests.conftest import Inbox, text_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def account(pending: Account) -> Account:
    return pending


def test_mail_leaves_only_after_the_commit(account: Any) -> None:
    with transaction.atomic():
        OutgoingMail.enqueue(confirm_email, to="jean@example.org", account=account)
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
                kind=confirm_email.name, to="x@example.org", account=person.account
            )
    # A claim in one short transaction (begin, one read with the accounts, one lease, commit),
    # then a record of each sending.
    with django_assert_num_queries(4 + len(people)):
        assert OutgoingMail.objects.send_due() == (3, 0)
    assert len(mail.outbox) == 3


def test_a_rolled_back_change_sends_nothing(account: Any) -> None:
    def change_that_fails() -> None:
        with transaction.atomic():
            OutgoingMail.enqueue(confirm_email, to="jean@example.org", account=account)
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        change_that_fails()
    assert mail.outbox == []
    assert not OutgoingMail.objects.exists()


def test_each_message_has_text_and_html_in_french_and_english(account: Any) -> None:
    OutgoingMail.enqueue(confirm_email, to="jean@example.org", account=account)
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
    OutgoingMail.enqueue(confirm_email, to="jean@example.org", account=account)
    row = OutgoingMail.objects.get()
    token = account.email_token()
    assert token.split(":")[0] not in str(row.context)
    assert "/gestion-de-compte/confirmer-mail/" in mail.outbox[0].body


def test_a_failed_send_stays_queued_and_is_retried(
    account: Any, settings: Any, smtp_server: Inbox
) -> None:
    settings.EMAIL_PORT = 9  # nothing listens: the connection is refused
    OutgoingMail.enqueue(confirm_email, to="jean@example.org", account=account)
    row = OutgoingMail.objects.get()
    assert (row.sent_at, row.attempts, row.state) == (None, 1, QueueState.PENDING)
    assert row.last_error.startswith("ConnectionRefusedError")
    assert row.due_at > timezone.now() + timedelta(seconds=50)
    settings.EMAIL_PORT = smtp_server.port
    out = StringIO()
    call_command("send_mail", stdout=out)
    assert out.getvalue().strip() == "0 envoyé(s), 0 en échec, 1 en attente", (
        "not due before its delay"
    )
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        call_command("send_mail", stdout=out)
    assert out.getvalue().splitlines()[-1] == "1 envoyé(s), 0 en échec, 0 en attente"
    assert "Pour la confirmer" in text_of(smtp_server.wait_for(1)[0])


def test_a_claimed_message_is_not_claimed_again(account: Any) -> None:
    OutgoingMail.objects.create(kind=confirm_email.name, to="jean@example.org", account=account)
    first = OutgoingMail.objects.claim(10)
    assert [mail.attempts for mail in first] == [1]
    assert OutgoingMail.objects.claim(10) == [], "leased to the first sender"
    with time_machine.travel(timezone.now() + OutgoingMail.LEASE + timedelta(seconds=1)):
        assert len(OutgoingMail.objects.claim(10)) == 1, "a sender that died releases it"


class SlowBackend(BaseEmailBackend):
    """Takes its time over each message, as SMTP does, and notes who it was sent to."""

    sent: ClassVar[list[str]] = []
    lock = threading.Lock()

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        for message in email_messages:
            time.sleep(0.01)
            with self.lock:
                self.sent.extend(message.to)
        return len(email_messages)


@pytest.mark.postgres
def test_two_senders_at_once_never_send_a_message_twice(  # SKIP LOCKED on PostgreSQL
    make_person: Callable[..., Person], settings: Any
) -> None:
    account = make_person().account
    OutgoingMail.objects.bulk_create(
        OutgoingMail(kind=confirm_email.name, to=f"n{i}@example.org", account=account)
        for i in range(300)
    )
    settings.EMAIL_BACKEND = "tests.test_outbox.SlowBackend"
    SlowBackend.sent.clear()
    start = threading.Barrier(2)
    results: list[tuple[int, int]] = []

    def sender() -> None:
        start.wait()
        try:
            results.append(OutgoingMail.objects.send_due())
        finally:
            connection.close()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(SlowBackend.sent) == 300
    assert len(set(SlowBackend.sent)) == 300, "a message went twice"
    assert sorted(sent for sent, _failed in results) != [0, 300], "one sender did all the work"
    assert OutgoingMail.objects.filter(state=QueueState.DONE, attempts=1).count() == 300


@kind("tests.broken")
def broken(mail: OutgoingMail) -> Draft:
    context: dict[str, Draft] = {}
    return context["missing"]  # a builder with a bug


def test_a_failing_builder_holds_up_no_other_message_and_dies_after_its_attempts(
    account: Any,
) -> None:
    OutgoingMail.objects.bulk_create(
        OutgoingMail(kind=kind_name, to=f"{n}@example.org", account=account)
        for n, kind_name in enumerate(
            [confirm_email.name, broken.name, confirm_email.name, "nobody.declared_this"]
        )
    )
    assert OutgoingMail.objects.send_due() == (2, 2)
    assert sorted(message.to[0] for message in mail.outbox) == ["0@example.org", "2@example.org"]
    bad = OutgoingMail.objects.get(kind=broken.name)
    assert (bad.state, bad.attempts, bad.last_error) == ("pending", 1, "KeyError: 'missing'")
    unknown = OutgoingMail.objects.get(kind="nobody.declared_this")
    assert unknown.last_error == "KeyError: 'nobody.declared_this'"
    now = timezone.now()
    for _attempt in range(OutgoingMail.MAX_ATTEMPTS + 3):
        now += timedelta(hours=2)
        with time_machine.travel(now):
            OutgoingMail.objects.send_due()
    bad.refresh_from_db()
    assert (bad.state, bad.attempts) == (QueueState.DEAD, OutgoingMail.MAX_ATTEMPTS)
    assert bad.last_error == "KeyError: 'missing'"
    assert len(mail.outbox) == 2, "the good ones went once"
    assert OutgoingMail.objects.retry() == 2
    assert OutgoingMail.objects.get(kind=broken.name).state == QueueState.PENDING


def test_every_kind_the_code_queues_is_declared() -> None:
    assert {
        "accounts.confirm_email",
        "accounts.notice",
        "activation.activated",
        "activation.student_code",
        "lifecycle.closing_soon",
        "lifecycle.grace_started",
        "recovery.reset_link",
    } <= set(KINDS)


def test_a_dry_run_counts_and_sends_nothing(account: Any, settings: Any) -> None:
    settings.EMAIL_PORT = 9
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    OutgoingMail.enqueue(confirm_email, to="jean@example.org", account=account)
    out = StringIO()
    call_command("send_mail", "--dry-run", stdout=out)
    assert out.getvalue().strip() == "1 message(s) en attente (essai : rien n'a été envoyé)"
