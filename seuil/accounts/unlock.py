"""The owner's way out of a lockout: when failures lock an account, its confirmed personal
address gets a notice (which lock, until when, after how many failures, what to do if it was not
them) with a link that lifts that lock at once.

- **The link names one lock.** Signed and salted for this use, it names the login, the lock's
  network (or the whole account) and its end as stored. It works while that very lock runs, and
  once: lifting it clears that end. It holds no secret.
- **Lifted, not forgotten.** The unlock ends the lock but keeps the failure counts, so that an
  owner who unlocks by mistake gives a guesser no fresh start: their next failures arm the next,
  longer step. The owner's own success then forgets the counts, as any success does.
- **Said after the response.** Whether a notice leaves depends on the account (known, active,
  with a confirmed address), so all of it runs after the response has gone: the attempt that
  arms a lock answers the same, in content and in time, for any login typed.
- **Few notices.** One per account every 15 minutes and eight a day at most, each spent
  atomically before it is queued, however many networks lock the account.
"""

from datetime import timedelta

from django.db import transaction
from django.views.decorators.debug import sensitive_variables

from seuil.accounts import mails
from seuil.accounts.links import UnlockClaim, read_unlock_token
from seuil.accounts.models import Account
from seuil.audit.models import Action, AuditEvent
from seuil.mailer.after_response import after_response
from seuil.mailer.models import OutgoingMail
from seuil.security import budget, throttle
from seuil.security.throttle import Lock

NOTICES = [(1, 15 * 60), (8, 24 * 60 * 60)]  # (notices, per seconds), per account
SAME_END = timedelta(milliseconds=1)  # Redis keeps a lock's end as a float timestamp


def notify_lock(lock: Lock) -> None:
    """throttle.on_lock's listener: mail the owner, after the response."""
    after_response(lambda: mail_lock_notice(lock))


def mail_lock_notice(lock: Lock) -> OutgoingMail | None:
    account = Account.objects.filter(login=lock.key).exclude(recovery_email="").first()
    if account is None or not account.is_active:
        return None
    for limit, seconds in NOTICES:
        if not budget.spend(f"lock-notice-{seconds}:{account.login}", limit=limit, seconds=seconds):
            return None
    return OutgoingMail.enqueue(
        mails.locked,
        to=account.recovery_email,
        account=account,
        network=lock.network,
        until=lock.until.isoformat(),
        failures=lock.failures,
    )


@sensitive_variables("token")
def unlockable(token: str) -> Account | None:
    """The account this link may unlock now, if any."""
    claim = read_unlock_token(token)
    if claim is None or not still_locked(claim):
        return None
    return Account.objects.filter(login=claim.login).first()


def still_locked(claim: UnlockClaim) -> bool:
    end = throttle.lock_end(claim.login, claim.network)
    return end is not None and abs(end - claim.until) < SAME_END


@sensitive_variables("token")
def unlock(*, token: str, ip: str) -> Account | None:
    """Lift the lock the link names, if it still runs; audited as the owner's unlock. Under the
    account's row lock, so that of concurrent posts of one link exactly one unlocks."""
    claim = read_unlock_token(token)
    if claim is None:
        return None
    with transaction.atomic():
        account = Account.objects.select_for_update().filter(login=claim.login).first()
        if account is None or not still_locked(claim):
            return None
        throttle.lift(account.login, claim.network)
        AuditEvent.record(Action.SELF_UNLOCKED, account=account, ip=ip, network=claim.network)
    return account
