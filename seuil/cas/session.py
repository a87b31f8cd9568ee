"""What the person's browser session knows of CAS: its sign-on (seuil.accounts.sessions), which
every ticket and proxy-granting ticket names, and the tickets it handed to services, for single
logout. It lives wherever sessions live (database or Redis)."""

import secrets
from typing import Any

from django.contrib.sessions.backends.base import SessionBase

from seuil.accounts.sessions import SIGN_ON
from seuil.cas.services import single_logout
from seuil.core.hooks import EndedSession

SSO = "seuil_cas_sso"  # sessions opened before sign-ons were recorded
TICKETS = "seuil_cas_tickets"
KEEP = 100  # the most recent services told at sign-out; older entries are long gone anyway


def sso_of(session: SessionBase) -> str:
    sign_on = session.get(SIGN_ON)
    if isinstance(sign_on, str):
        return sign_on
    value = session.get(SSO)
    if not isinstance(value, str):
        value = session[SSO] = secrets.token_hex(16)
    return value


def remember(session: SessionBase, *, service: str, ticket: str) -> None:
    tickets: list[Any] = session.get(TICKETS, [])
    session[TICKETS] = [*tickets, [service, ticket]][-KEEP:]


def tickets_of(data: Any) -> list[tuple[str, str]]:
    """The (service, ticket) pairs a session's data holds."""
    entries = data.get(TICKETS, []) if hasattr(data, "get") else []
    return [
        (entry[0], entry[1]) for entry in entries if isinstance(entry, list) and len(entry) == 2
    ]


def session_ended(ended: EndedSession) -> None:
    """A session ended, however (seuil.core.hooks.after_session_end): single logout of every CAS
    service that got a ticket in it, and its proxy-granting tickets voided."""
    legacy = ended.data.get(SSO, "")
    sso = ended.sign_on or (legacy if isinstance(legacy, str) else "")
    single_logout(tickets=tickets_of(ended.data), sso=sso)
