"""Who hears of a change to accounts, without the accounts layer importing them.

An app above (the directory) registers a callback in its `AppConfig.ready()`:

    after_account_change(push)

Whenever the write path records changed accounts, each callback is called with their ids once
the transaction commits (never if it rolls back). A callback that raises is logged and does not
affect the others nor the change, which stays recorded for a worker to consume.

For sessions, the protocols above (CAS, OpenID Connect, SAML) register with
`after_session_end` what they do when a person's session ends, whichever layer ended it (a
sign-out, a password change, HR's lock, the nightly expiry): in the ending's transaction, their
work outside the database deferred to its commit.
"""

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import transaction

from seuil.core.outages import store_away

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


@dataclass(frozen=True)
class EndedSession:
    """A browser session that has just ended, as the protocols need to hear of it.

    `sign_on` is the session's sign-on identifier: every CAS ticket, proxy-granting ticket and
    OpenID Connect token issued under the session names it (and a SAML session index may). `data`
    is what the session held when it ended (a copy: the session itself is gone). `why` says which
    event ended it: "sign-out", "password-changed", "password-reset", "sesame", "lock", "expiry",
    "purge", "lifetime", "replaced" (someone else signed in on the same browser), "closed"."""

    account_id: int
    sign_on: str
    data: Mapping[str, Any]
    why: str


SessionHandler = Callable[[EndedSession], None]
_session_handlers: list[SessionHandler] = []


def after_session_end(handler: SessionHandler) -> SessionHandler:
    """Register what a protocol does when a session ends (its single logout, its tokens
    revoked), from an `AppConfig.ready()`; usable as a decorator, harmless twice. The accounts
    layer ends sessions and calls each handler once per session, in the order registered, in
    the transaction that ends them: what a handler writes commits with the session's end or not
    at all, and what it does outside the database (a logout sent, a thread started) it defers
    with `transaction.on_commit`. PostgreSQL or Redis going away in a handler rolls the whole
    end back: the sessions stay as they were, never ended here and alive at a service. Any other
    error undoes that handler's writes only, and is logged."""
    if handler not in _session_handlers:
        _session_handlers.append(handler)
    return handler


def forget_session_handler(handler: SessionHandler) -> None:
    if handler in _session_handlers:
        _session_handlers.remove(handler)


def sessions_ended(ended: Iterable[EndedSession]) -> None:
    """Called by the accounts layer in the transaction that ends the sessions. Each handler in
    a savepoint of its own: one that fails for a bug is logged and undone alone, the others and
    the end stand (as a logout no service answers); PostgreSQL or Redis away undoes it all."""
    for session in ended:
        for handler in list(_session_handlers):
            try:
                with transaction.atomic():
                    handler(session)
            except Exception as error:
                if store_away(error):
                    raise
                logger.exception("a session-end handler failed: %r", handler)
