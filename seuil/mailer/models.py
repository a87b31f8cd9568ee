"""The outbox: mail is recorded in the transaction that causes it, and sent after the commit.

A message that fails to send stays queued and is retried by `seuil send_mail` (cron), after 1, 5,
15, then every 60 minutes; after MAX_ATTEMPTS it is dead, kept with its error for an operator to
retry. A failure never rolls back what it announces, and one bad message (a builder or the
transport raising anything) never holds up the others. Several senders on several hosts can drain
the queue at once: each message is claimed by one of them (seuil.core.queue). Rows hold no
secret: links and codes are made when the message is built for sending (see each app's mails.py).
"""

import contextlib
import logging
from typing import Any, ClassVar

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import InterfaceError, OperationalError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from seuil.core.outages import store_away
from seuil.core.queue import QueueItem, QueueQuerySet, QueueState
from seuil.mailer.after_response import after_response_gathered
from seuil.mailer.kinds import KINDS, Kind
from seuil.mailer.rendering import Message, render

logger = logging.getLogger(__name__)
BATCH = 200


class OutgoingMailQuerySet(QueueQuerySet["OutgoingMail"]):
    def send_due(self) -> tuple[int, int]:
        """Send what is due, batch after batch; return (sent, failed)."""
        record_delivered()
        sent = failed = 0
        while batch := self.select_related("account").claim(BATCH):
            done = _send_batch(batch)
            sent, failed = sent + done, failed + len(batch) - done
            if len(batch) < BATCH:
                break
        return sent, failed


# Messages the SMTP server accepted in the instant the database went away, so that their rows
# still say "leased": without this, they would leave again once the lease ends. This process
# records them at its next sending or request (record_delivered). A process that dies first
# loses the list, and the message leaves twice, with the same Message-ID.
_delivered: set[int] = set()


def record_delivered() -> None:
    """Mark done the messages this process delivered while the database was away."""
    if not _delivered:
        return
    pks = set(_delivered)
    OutgoingMail.objects.filter(pk__in=pks, state=QueueState.PENDING).update(
        state=QueueState.DONE, done_at=timezone.now(), last_error=""
    )
    _delivered.difference_update(pks)


def _send_batch(batch: list["OutgoingMail"]) -> int:
    """Send on one connection; a message that fails is recorded and the next one goes on."""
    connection = get_connection(fail_silently=False)
    sent = 0
    # One session for the batch; if it cannot open, each message tries and records why.
    with contextlib.suppress(Exception):
        connection.open()
    try:
        for mail in batch:
            try:
                message = mail.build()
            except Exception as error:  # noqa: BLE001 -- a bad message must not block the others
                mail.give_up_for_now(error)
                continue
            email = EmailMultiAlternatives(
                message.subject,
                message.text,
                to=[mail.to],
                connection=connection,
                headers={"Message-ID": mail.message_id()},
            )
            email.attach_alternative(message.html, "text/html")
            try:
                email.send()
            except Exception as error:  # noqa: BLE001 -- SMTP, the network, the backend
                mail.give_up_for_now(error)
                connection.close()  # the next message tries a new session of its own
                continue
            try:
                mail.succeeded()
            except (OperationalError, InterfaceError):
                _delivered.add(mail.pk)  # recorded as soon as the database is back
                raise
            sent += 1
    finally:
        connection.close()
    return sent


class OutgoingMail(QueueItem):
    MAX_ATTEMPTS = 30  # about a day of hourly retries after the first hour

    kind = models.CharField(_("type"), max_length=64)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="mails", null=True
    )
    to = models.EmailField(_("destinataire"))
    context = models.JSONField(_("contexte"), default=dict, blank=True)

    objects: ClassVar[OutgoingMailQuerySet] = OutgoingMailQuerySet.as_manager()  # type: ignore[assignment]

    class Meta(QueueItem.Meta):
        verbose_name = _("courriel")
        verbose_name_plural = _("courriels")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} → {self.to}"

    @property
    def sent_at(self) -> Any:
        return self.done_at if self.state == QueueState.DONE else None

    @classmethod
    def enqueue(cls, kind: Kind, *, to: str, account: Any = None, **context: Any) -> "OutgoingMail":
        """Queue a message; it leaves once the current transaction commits."""
        mail = cls.objects.create(kind=kind.name, to=to, account=account, context=context)
        transaction.on_commit(
            lambda: after_response_gathered(_send_now, mail.pk),
            robust=True,
        )
        return mail

    @classmethod
    def enqueue_many(cls, mails: list["OutgoingMail"]) -> None:
        """Queue many messages (a nightly job's reminders); they leave after the commit."""
        cls.objects.bulk_create(mails, batch_size=2000)
        transaction.on_commit(lambda: OutgoingMail.objects.send_due(), robust=True)

    def build(self) -> Message:
        """The message in French and English, by its kind's builder."""
        return render(KINDS[self.kind].build(self))

    def message_id(self) -> str:
        """The same on every attempt (RFC 5322 §3.6.4): a retry of a message that did arrive,
        after a crash between the server's answer and the row's update, is recognisably the
        same message, and every message received names its row in the outbox."""
        stamp = int(self.created_at.timestamp())
        return f"<outbox.{self.pk}.{stamp}@{settings.SEUIL_MAIL_DOMAIN}>"

    def give_up_for_now(self, error: BaseException) -> None:
        delay = self.failed(error)
        logger.warning(
            "mail %s (%s) not sent, %s: %s",
            self.pk,
            self.kind,
            f"retry in {delay}" if delay else "dead after its attempts",
            self.last_error,
        )


def _send_now(pks: list[int]) -> None:
    """Send these queued messages (those one request queued, after its response, or a command
    at its commit). If the database went away meanwhile, they wait in the outbox for `seuil
    send_mail`: an outage is one warning line, not an error with a traceback (which on_commit
    would log where the request's own handler cannot see it)."""
    try:
        OutgoingMail.objects.filter(pk__in=pks).send_due()
    except Exception as error:
        if not (away := store_away(error)):
            raise
        logger.warning("mail %s waits for send_mail (%s away)", pks, away)
