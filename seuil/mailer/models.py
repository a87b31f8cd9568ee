"""The outbox: mail is recorded in the transaction that causes it, and sent after the commit.

A message that fails to send stays queued and is retried by `seuil send_mail` (cron): it is never
lost, and a failure never rolls back what it announces. Rows hold no secret: links and codes are
made when the message is built for sending (see each app's mails.py).
"""

import logging
import smtplib
from datetime import timedelta
from typing import Any, ClassVar

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import models, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from seuil.mailer.rendering import Message, render

logger = logging.getLogger(__name__)
BACKOFF = [timedelta(minutes=m) for m in (1, 5, 15, 60)]
CLAIM = timedelta(minutes=10)  # a sender that died releases its messages after this


class OutgoingMailQuerySet(models.QuerySet["OutgoingMail"]):
    def pending(self) -> "OutgoingMailQuerySet":
        return self.filter(sent_at__isnull=True)

    def send_due(self) -> tuple[int, int]:
        """Send what is due; return (sent, failed)."""
        due = (
            self.pending()
            .filter(next_attempt_at__lte=timezone.now())
            .select_related("account")  # every builder reads it: one query, not one a message
            .order_by("pk")
        )
        claimed = [mail for mail in due.iterator(chunk_size=500) if mail.claim()]
        if not claimed:
            return 0, 0
        connection = get_connection(fail_silently=False)
        try:
            connection.open()  # one connection for the batch; a message opens its own if this fails
        except (smtplib.SMTPException, OSError):
            connection = get_connection(fail_silently=False)
        try:
            sent = sum(mail.send(connection) for mail in claimed)
        finally:
            connection.close()
        return sent, len(claimed) - sent


class OutgoingMail(models.Model):
    kind = models.CharField(_("type"), max_length=64)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="mails", null=True
    )
    to = models.EmailField(_("destinataire"))
    context = models.JSONField(_("contexte"), default=dict, blank=True)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    next_attempt_at = models.DateTimeField(_("prochain essai"), default=timezone.now)
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("essais"), default=0)
    last_error = models.CharField(_("dernière erreur"), max_length=300, blank=True)

    objects: ClassVar[OutgoingMailQuerySet] = OutgoingMailQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("courriel")
        verbose_name_plural = _("courriels")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["sent_at", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.kind} → {self.to}"

    @classmethod
    def enqueue(cls, kind: str, *, to: str, account: Any = None, **context: Any) -> "OutgoingMail":
        """Queue a message; it leaves once the current transaction commits."""
        mail = cls.objects.create(kind=kind, to=to, account=account, context=context)
        transaction.on_commit(
            lambda: OutgoingMail.objects.filter(pk=mail.pk).send_due(), robust=True
        )
        return mail

    @classmethod
    def enqueue_many(cls, mails: list["OutgoingMail"]) -> None:
        """Queue many messages (a nightly job's reminders); they leave after the commit, on one
        connection."""
        cls.objects.bulk_create(mails, batch_size=2000)
        transaction.on_commit(lambda: OutgoingMail.objects.send_due(), robust=True)

    def claim(self) -> bool:
        """Take the message for sending, unless another sender took it first."""
        now = timezone.now()
        taken = OutgoingMail.objects.filter(
            pk=self.pk, sent_at__isnull=True, next_attempt_at__lte=now
        ).update(next_attempt_at=now + CLAIM)
        return taken == 1

    def build(self) -> Message:
        """The message in French and English; `kind` names its builder, `app.function`."""
        app, function = self.kind.split(".")
        builder = import_string(f"seuil.{app}.mails.{function}")
        return render(builder(self))

    def send(self, connection: Any) -> bool:
        self.attempts += 1
        try:
            message = self.build()
            email = EmailMultiAlternatives(message.subject, message.text, to=[self.to])
            email.attach_alternative(message.html, "text/html")
            connection.send_messages([email])
        except (smtplib.SMTPException, OSError) as error:
            delay = BACKOFF[min(self.attempts, len(BACKOFF)) - 1]
            self.next_attempt_at = timezone.now() + delay
            self.last_error = f"{type(error).__name__}: {error}"[:300]
            logger.warning(
                "mail %s (%s) not sent, retry in %s: %s", self.pk, self.kind, delay, self.last_error
            )
            self.save(update_fields=["attempts", "next_attempt_at", "last_error"])
            return False
        self.sent_at = timezone.now()
        self.save(update_fields=["attempts", "sent_at"])
        return True
