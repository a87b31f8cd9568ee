"""The owner's way out of a lockout: when failures lock an account, its confirmed personal
address gets a notice (when, after how many failures, what to do if it was not them) with a link
that lifts the lock at once.

- **The link holds no secret.** It is signed (salted for this use only) and names the login, the
  lock's end and when it was made. It works while that account is locked and the lock has not
  ended, and once: an unlock since it was made (by this link, another, or an operator) voids it.
- **Said after the response.** Whether a notice leaves depends on the account (known, active,
  with a confirmed address), so all of it runs after the response has gone: the attempt that
  arms a lock answers the same, in content and in time, for any login typed.
- **One notice per quarter of an hour** and account at most, however many networks lock it: a
  stranger guessing from many places cannot fill the owner's mailbox.
"""

from datetime import UTC, datetime, timedelta

from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from seuil.accounts import mails
from seuil.accounts.links import read_unlock_token
from seuil.accounts.models import Account
from seuil.audit.models import Action, AuditEvent
from seuil.mailer.after_response import after_response
from seuil.mailer.models import OutgoingMail
from seuil.security import throttle

NOTICE_EVERY = timedelta(minutes=15)


def notify_lock(login: str, until: datetime, failures: int) -> None:
    """throttle.on_lock's listener: mail the owner, after the response."""
    after_response(lambda: mail_lock_notice(login=login, until=until, failures=failures))


def mail_lock_notice(*, login: str, until: datetime, failures: int) -> OutgoingMail | None:
    account = Account.objects.filter(login=login).exclude(recovery_email="").first()
    if account is None or not account.is_active:
        return None
    recent = OutgoingMail.objects.filter(
        kind=mails.locked.name, account=account, created_at__gte=timezone.now() - NOTICE_EVERY
    )
    if recent.exists():
        return None
    return OutgoingMail.enqueue(
        mails.locked,
        to=account.recovery_email,
        account=account,
        until=until.astimezone(UTC).isoformat(),
        failures=failures,
    )


@sensitive_variables("token")
def unlockable(token: str) -> Account | None:
    """The account this link may unlock now, if any."""
    claim = read_unlock_token(token)
    if claim is None or claim.until <= timezone.now() or not throttle.is_locked(claim.login):
        return None
    account = Account.objects.filter(login=claim.login).first()
    unlocked_since = AuditEvent.objects.filter(
        account=account, action__in=[Action.SELF_UNLOCKED, Action.UNLOCKED], at__gte=claim.made
    )
    return None if account is None or unlocked_since.exists() else account


@sensitive_variables("token")
def unlock(*, token: str, ip: str) -> Account | None:
    """Lift every lock and forget every failure of the account the link names, if it still
    may; audited as the owner's unlock."""
    account = unlockable(token)
    if account is None:
        return None
    throttle.reset(account.login)
    AuditEvent.record(Action.SELF_UNLOCKED, account=account, ip=ip)
    return account
