"""What the browser session knows of SAML: the requests waiting for a sign-in or a consent, and
the SPs it signed in to, for single logout. It lives wherever sessions live (database or Redis),
so a flow begun on one host completes on another."""

import secrets
from dataclasses import asdict
from typing import Any

from django.contrib.sessions.backends.base import SessionBase

from seuil.saml.inbound import Pending

PENDING = "seuil_saml_pending"
SPS = "seuil_saml_sps"
KEEP = 10  # requests waiting at once (tabs); the oldest is dropped
KEEP_SPS = 100


def keep(session: SessionBase, pending: Pending) -> str:
    key = secrets.token_urlsafe(16)
    waiting: dict[str, Any] = dict(session.get(PENDING, {}))
    waiting[key] = asdict(pending)
    session[PENDING] = dict(list(waiting.items())[-KEEP:])
    return key


def pending(session: SessionBase, key: str) -> Pending | None:
    return Pending.from_session(session.get(PENDING, {}).get(key))


def drop(session: SessionBase, key: str) -> None:
    waiting = dict(session.get(PENDING, {}))
    waiting.pop(key, None)
    session[PENDING] = waiting


def take_all(session: SessionBase) -> dict[str, Any]:
    """The waiting requests, kept across the sign-in, which gives the session a new key."""
    return dict(session.get(PENDING, {}))


def restore(session: SessionBase, kept: dict[str, Any]) -> None:
    session[PENDING] = kept


def remember(session: SessionBase, *, sp: str, name_id: str, name_format: str) -> None:
    signed_in: list[Any] = [e for e in session.get(SPS, []) if e[0] != sp]
    session[SPS] = [*signed_in, [sp, name_id, name_format]][-KEEP_SPS:]


def forget(session: SessionBase) -> list[tuple[str, str, str]]:
    """Take the SPs of the session out of it, for single logout."""
    return [
        (entry[0], entry[1], entry[2])
        for entry in session.pop(SPS, [])
        if isinstance(entry, list) and len(entry) == 3
    ]
