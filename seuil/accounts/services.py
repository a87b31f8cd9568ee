"""What a signed-in person changes on their own account: each change is audited, and announced to
the confirmed personal address, in the transaction that makes it."""

from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from seuil.accounts import mails
from seuil.accounts.models import Account, SignOn
from seuil.accounts.passwords import normalise_answer
from seuil.audit.models import Action, AuditEvent
from seuil.mailer.models import OutgoingMail
from seuil.security import throttle

WRONG_CREDENTIALS = _("Identifiant ou mot de passe incorrect.")


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in: the account, or what to tell the person."""

    account: Account | None
    refusal: str = ""


@sensitive_variables("password")
def authenticate(*, login: str, password: str, ip: str) -> Account | None:
    """The account if the password is its own, under the per-account lockout. `login` may be
    the university address too; failures under either count against the one account."""
    login = Account.objects.login_of(login)
    return throttle.attempt(
        login,
        lambda: Account.objects.authenticate(login, password),
        action=Action.SIGN_IN,
        ip=ip,
    )


@sensitive_variables("password")
def sign_in(*, login: str, password: str, ip: str) -> SignIn:
    """Check a sign-in by password, for any page (the ENT's, the SSO login pages). The caller
    opens the session (seuil.accounts.sessions.open_session)."""
    account = authenticate(login=login, password=password, ip=ip)
    if account is None:
        return SignIn(None, str(WRONG_CREDENTIALS))
    if not account.is_active:  # expired or locked: said only after the right password
        return SignIn(None, account.closed_message())
    return SignIn(account)


def notify(account: Account, event: str) -> None:
    """Tell the confirmed personal address what just happened (never a secret)."""
    if account.recovery_email:
        OutgoingMail.enqueue(mails.notice, to=account.recovery_email, account=account, event=event)


@sensitive_variables("password")
def change_password(*, account: Account, password: str, ip: str, keep: str = "") -> None:
    """A new password; every other session ends, everywhere (the sign-on `keep`, the one that
    changed it, stays: the view keeps it open with seuil.accounts.sessions.keep_session)."""
    with transaction.atomic():
        account.replace_password(password)
        SignOn.objects.filter(account=account).exclude(id=keep).end(why="password-changed")
        AuditEvent.record(Action.PASSWORD_CHANGED, account=account, ip=ip)
        notify(account, "password-changed")


@sensitive_variables("password")
def reset_password(*, account: Account, password: str, via: str, ip: str) -> bool:
    """A forgotten password replaced: every session ends, the lockout is lifted, and nobody is
    signed in. The grant (a link, whose token covers the password hash, or a right answer) is
    spent under a row lock, compared with the hash it was given for: of concurrent resets
    exactly one wins, and the others return False and change nothing."""
    granted_for = account.password
    with transaction.atomic():
        current = (
            Account.objects.select_for_update()
            .filter(pk=account.pk)
            .values_list("password", flat=True)
            .first()
        )
        if current != granted_for:
            return False
        account.replace_password(password)
        SignOn.objects.filter(account=account).end(why="password-reset")
        AuditEvent.record(Action.PASSWORD_RESET, account=account, ip=ip, via=via)
        notify(account, "password-reset")
        # Inside: Redis being away then resets nothing, rather than answer 503 over a reset.
        throttle.reset(account.login)
    return True


def change_recovery_email(*, account: Account, email: str, ip: str) -> None:
    """The new address waits for its confirmation link; the confirmed one keeps working meanwhile
    and is told of the change."""
    with transaction.atomic():
        account.set_recovery(pending_email=email)
        AuditEvent.record(Action.RECOVERY_CHANGED, account=account, ip=ip, what="email")
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
def replace_secret_question(*, account: Account, question: str, answer: str, ip: str) -> None:
    answer_hash = make_password(normalise_answer(answer))
    with transaction.atomic():
        account.set_recovery(secret_question=question, secret_answer=answer_hash)
        AuditEvent.record(Action.RECOVERY_CHANGED, account=account, ip=ip, what="question")
        notify(account, "question-replaced")
