"""What a signed-in person changes on their own account: each change is audited, and announced to
the confirmed personal address, in the transaction that makes it."""

from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.http import HttpRequest
from django.views.decorators.debug import sensitive_variables

from seuil.accounts import mails
from seuil.accounts.models import Account
from seuil.accounts.passwords import normalise_answer
from seuil.audit.models import Action, AuditEvent
from seuil.mailer.models import OutgoingMail
from seuil.security import throttle


def notify(account: Account, event: str) -> None:
    """Tell the confirmed personal address what just happened (never a secret)."""
    if account.recovery_email:
        OutgoingMail.enqueue(mails.notice, to=account.recovery_email, account=account, event=event)


@sensitive_variables("password")
def change_password(*, account: Account, password: str, request: HttpRequest) -> None:
    """A new password; this session stays open, every other one ends."""
    with transaction.atomic():
        account.replace_password(password)
        AuditEvent.record(Action.PASSWORD_CHANGED, account=account, request=request)
        notify(account, "password-changed")
    update_session_auth_hash(request, account)


@sensitive_variables("password")
def reset_password(*, account: Account, password: str, via: str, request: HttpRequest) -> None:
    """A forgotten password replaced: every session ends, the lockout is lifted, and nobody is
    signed in."""
    with transaction.atomic():
        account.replace_password(password)
        AuditEvent.record(Action.PASSWORD_RESET, account=account, request=request, via=via)
        notify(account, "password-reset")
    throttle.reset(account.login)


def change_recovery_email(*, account: Account, email: str, request: HttpRequest) -> None:
    """The new address waits for its confirmation link; the confirmed one keeps working meanwhile
    and is told of the change."""
    with transaction.atomic():
        account.set_recovery(pending_email=email)
        AuditEvent.record(Action.RECOVERY_CHANGED, account=account, request=request, what="email")
        OutgoingMail.enqueue(mails.confirm_email, to=email, account=account)
        if account.recovery_email:
            OutgoingMail.enqueue(
                mails.notice,
                to=account.recovery_email,
                account=account,
                event="email-change-requested",
                new=email,
            )


@sensitive_variables("answer")
def replace_secret_question(
    *, account: Account, question: str, answer: str, request: HttpRequest
) -> None:
    answer_hash = make_password(normalise_answer(answer))
    with transaction.atomic():
        account.set_recovery(secret_question=question, secret_answer=answer_hash)
        AuditEvent.record(
            Action.RECOVERY_CHANGED, account=account, request=request, what="question"
        )
        notify(account, "question-replaced")
