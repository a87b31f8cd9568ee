"""Who hears of a change to accounts, without the accounts layer importing them.

An app above (the directory) registers a callback in its `AppConfig.ready()`:

    after_account_change(push)

Whenever the write path records changed accounts, each callback is called with their ids once
the transaction commits (never if it rolls back). A callback that raises is logged and does not
affect the others nor the change, which stays recorded for a worker to consume.
"""

import logging
from collections.abc import Callable, Iterable
from functools import partial

from django.db import transaction

logger = logging.getLogger(__name__)
Callback = Callable[[list[int]], None]
_callbacks: list[Callback] = []


def after_account_change(callback: Callback) -> Callback:
    """Register a callback (also usable as a decorator); registering twice is harmless."""
    if callback not in _callbacks:
        _callbacks.append(callback)
    return callback


def forget(callback: Callback) -> None:
    if callback in _callbacks:
        _callbacks.remove(callback)


def accounts_changed(account_ids: Iterable[int], *, using: str | None = None) -> None:
    """Called by the write path, inside the transaction that makes the change."""
    if not _callbacks:
        return
    ids = sorted(set(account_ids))
    if ids:
        for callback in list(_callbacks):
            transaction.on_commit(partial(callback, ids), using=using, robust=True)
