"""What the browser session knows of SAML: the requests waiting for a sign-in or a consent, and
the SPs it signed in to, for single logout. It lives wherever sessions live (database or Redis),
so a flow begun on one host completes on another."""

import secrets
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any, NamedTuple

from django.contrib.sessions.backends.base import SessionBase

from seuil.saml.inbound import Pending

PENDING = "seuil_saml_pending"
SPS = "seuil_saml_sps"
KEEP = 10  # requests waiting at once (tabs); the oldest is dropped
KEEP_SPS = 100
KEEP_INDEXES = 5  # assertions remembered per SP and NameID (its sessions there)


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


class SignedIn(NamedTuple):
    """An SP this session signed in to: the NameID it was given, and the SessionIndex of each
    assertion it received under that NameID (the latest last), for single logout."""

    entity_id: str
    name_id: str
    name_format: str
    session_indexes: tuple[str, ...] = ()


def remember(
    session: SessionBase, *, sp: str, name_id: str, name_format: str, session_index: str = ""
) -> None:
    held = signed_in_of(session)
    indexes: tuple[str, ...] = ()
    for entry in held:
        if entry.entity_id == sp and entry.name_id == name_id:
            indexes = entry.session_indexes
    if session_index:
        indexes = (*indexes, session_index)[-KEEP_INDEXES:]
    kept = [
        [e.entity_id, e.name_id, e.name_format, list(e.session_indexes)]
        for e in held
        if e.entity_id != sp
    ]
    session[SPS] = [*kept, [sp, name_id, name_format, list(indexes)]][-KEEP_SPS:]


def signed_in_of(data: Mapping[str, Any] | SessionBase) -> list[SignedIn]:
    """The SPs a session's data holds (a live session, or what an ended one held). Entries
    written before session indexes were kept have three fields."""
    found = []
    for entry in data.get(SPS, []):
        if not isinstance(entry, list) or len(entry) not in {3, 4}:
            continue
        indexes = entry[3] if len(entry) == 4 and isinstance(entry[3], list) else []
        found.append(
            SignedIn(str(entry[0]), str(entry[1]), str(entry[2]), tuple(str(i) for i in indexes))
        )
    return found


def forget(session: SessionBase) -> list[SignedIn]:
    """Take the SPs of the session out of it, for single logout."""
    found = signed_in_of(session)
    session.pop(SPS, None)
    return found


def put_back(session: SessionBase, entries: list[SignedIn]) -> None:
    """Keep these SPs in the session (those a sign-out's frames cannot tell, for the back
    channel to tell as the session ends)."""
    session[SPS] = [
        [e.entity_id, e.name_id, e.name_format, list(e.session_indexes)] for e in entries
    ]
