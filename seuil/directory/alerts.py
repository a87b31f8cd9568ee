"""Accounts that seuil closed but the directory did not: their old password still binds there.

A lock, an expiry or a purge takes the account's `userPassword` out of the directory. When the
directory refuses that write (an ACL: "Insufficient access"), the change waits and is retried like
any other, but an "en attente" is too quiet for this one: whoever knows the old password still
gets into every service that binds. The admin, `seuil check_directory` and a mail to
SEUIL_OPERATOR_EMAILS say so.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from seuil.accounts.models import Account, AccountChange
from seuil.core.queue import QueueState
from seuil.directory.entries import password_of
from seuil.directory.mails import unclosed as unclosed_mail
from seuil.directory.push import publishable
from seuil.mailer.models import OutgoingMail

PAGE_EVERY = timedelta(hours=24)  # one mail per account and operator address a day


@dataclass(frozen=True)
class Unclosed:
    login: str
    error: str


def unclosed(account_ids: list[int] | None = None) -> list[Unclosed]:
    """The accounts, among those whose last push the directory refused, that may not bind."""
    refused = AccountChange.objects.filter(
        Q(state=QueueState.DEAD) | Q(state=QueueState.PENDING) & ~Q(last_error="")
    )
    if account_ids is not None:
        refused = refused.filter(account_id__in=account_ids)
    errors = dict(refused.order_by("pk").values_list("account_id", "last_error"))
    accounts = publishable(Account.objects.filter(pk__in=errors, activated_at__isnull=False))
    return [
        Unclosed(account.login, errors[account.pk])
        for account in accounts.order_by("login")
        if account.purged_at is not None or password_of(account) is None
    ]


def page_operators(account_ids: list[int]) -> int:
    """Mail the operators about these refused accounts that should be closed, at most once a
    day per account; return the number of messages queued."""
    found = unclosed(account_ids)
    if not found:
        return 0
    since = timezone.now() - PAGE_EVERY
    paged = set(
        OutgoingMail.objects.filter(kind=unclosed_mail.name, created_at__gte=since).values_list(
            "context__login", flat=True
        )
    )
    queued = 0
    for item in found:
        if item.login in paged:
            continue
        for address in settings.SEUIL_OPERATOR_EMAILS:
            OutgoingMail.enqueue(unclosed_mail, to=address, login=item.login, error=item.error)
            queued += 1
    return queued
