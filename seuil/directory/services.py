"""Getting account changes to the directory: right after the commit, and by `sync_directory`.

The write path records an AccountChange with every change (seuil.accounts.models.change). Each
account's *current* entry is pushed, not the changes one by one: all the changes recorded before
the account is read are settled by one push, in order, and replaying a push changes nothing.

While an account is pushed its row is locked (SELECT … FOR UPDATE), so that a change committed
meanwhile waits, and its own push reads the newer state: two workers never write an older entry
over a newer one. The directory being down costs no attempt: the changes wait, whatever how long.
A change the directory refuses is retried with backoff, then shown as failed in the admin; it
never holds up other accounts.
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from ldap.ldapobject import LDAPObject

from seuil.accounts.models import Account, AccountChange
from seuil.core.queue import QueueState
from seuil.directory import client
from seuil.directory.alerts import page_operators
from seuil.directory.client import DirectoryDown
from seuil.directory.push import Pushed, publishable, push

logger = logging.getLogger(__name__)
BATCH = 500
# More accounts than this in one commit (an import, the nightly job) wait for sync_directory's
# batches instead of round trips inside the transaction's request or command.
PUSH_NOW_MAX = 50
DOWN_RETRY = timedelta(minutes=1)  # the cron's period: try again at its next run


@dataclass
class Drained:
    accounts: int = 0
    pushed: Pushed = field(default_factory=Pushed)

    def summary(self) -> str:
        return _("%(accounts)d compte(s) : %(pushed)s") % {
            "accounts": self.accounts,
            "pushed": self.pushed.summary(),
        }


def push_now(account_ids: list[int]) -> None:
    """After a commit (seuil.core.hooks): push these accounts at once, so that a new password
    binds as soon as the recap shows. Whatever fails waits for sync_directory."""
    if not client.configured() or len(account_ids) > PUSH_NOW_MAX:
        return
    try:
        push_accounts(account_ids, timeout=2)
    except DirectoryDown as error:
        logger.warning("directory unreachable, %d account(s) wait: %s", len(account_ids), error)


def push_accounts(account_ids: list[int], *, timeout: float = client.TIMEOUT) -> Pushed:
    """Push these accounts now, waiting for any other worker pushing them (the admin's "push
    again", and right after a commit). Raises DirectoryDown."""
    conn = client.connect(timeout=timeout)
    try:
        return settle(conn, account_ids, claimed=[], wait=True)
    finally:
        conn.unbind_s()


def drain(*, batch: int = BATCH, progress: Callable[[Drained], None] | None = None) -> Drained:
    """Push every due change, a batch of rows at a time, until none is due (the cron's job).
    Raises DirectoryDown, leaving the changes for the next run, when the directory is down."""
    total = Drained()
    conn = client.connect()
    try:
        while rows := AccountChange.objects.claim(batch):
            ids = sorted({row.account_id for row in rows})
            result = settle(conn, ids, claimed=rows, wait=False)
            total.accounts += len(ids)
            _add(total.pushed, result)
            if progress:
                progress(total)
    finally:
        conn.unbind_s()
    return total


def settle(
    conn: LDAPObject, account_ids: Iterable[int], *, claimed: list[AccountChange], wait: bool
) -> Pushed:
    """Push these accounts' current entries and settle the changes the push covers. Accounts
    another worker is pushing are skipped (`wait=False`) or waited for (`wait=True`)."""
    ids = sorted(set(account_ids))
    try:
        with transaction.atomic():
            # Read before the accounts: every change listed here is in the state pushed below.
            covered = list(
                AccountChange.objects.filter(
                    account_id__in=ids, state__in=[QueueState.PENDING, QueueState.DEAD]
                ).values_list("pk", "account_id")
            )
            accounts = list(
                publishable(Account.objects.all())
                .select_for_update(of=("self",), skip_locked=not wait)
                .filter(pk__in=ids)
                .order_by("pk")
            )
            result = push(conn, accounts)
    except DirectoryDown as error:
        _wait_for_directory(claimed, str(error))
        raise
    read = {account.pk for account in accounts}
    done = [pk for pk, account in covered if account in read and account not in result.refused]
    AccountChange.objects.filter(pk__in=done).update(
        state=QueueState.DONE, done_at=timezone.now(), last_error=""
    )
    for row in claimed:
        if row.account_id in result.refused:
            row.failed(result.refused[row.account_id])
        elif row.account_id not in read:  # another worker holds it: try again soon
            AccountChange.objects.filter(pk=row.pk).update(due_at=timezone.now())
    for pk, refusal in result.refused.items():
        logger.warning("directory refused account %s: %s", pk, refusal)
        if not claimed:  # right after a commit: say why; sync_directory counts the attempts
            AccountChange.objects.pending().filter(account_id=pk).update(last_error=refusal[:300])
    if result.refused:
        # A refused lock, expiry or purge leaves the old password binding: page the operators.
        page_operators(list(result.refused))
    return result


def _wait_for_directory(claimed: list[AccountChange], error: str) -> None:
    """The directory being down is not the change's fault: no attempt is spent."""
    AccountChange.objects.filter(pk__in=[row.pk for row in claimed]).update(
        due_at=timezone.now() + DOWN_RETRY,
        attempts=F("attempts") - 1,
        last_error=error[:300],
    )


def _add(total: Pushed, result: Pushed) -> None:
    total.added += result.added
    total.modified += result.modified
    total.deleted += result.deleted
    total.unchanged += result.unchanged
    total.refused.update(result.refused)
