"""What the person's browser session knows of CAS: its CAS identifier, and the tickets it handed
to services, for single logout. It lives wherever sessions live (database or Redis)."""

import secrets
from typing import Any

from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest

from seuil.accounts.sessions import end_session
from seuil.cas.services import single_logout

SSO = "seuil_cas_sso"
TICKETS = "seuil_cas_tickets"
KEEP = 100  # the most recent services told at sign-out; older entries are long gone anyway


def sso_of(session: SessionBase) -> str:
    value = session.get(SSO)
    if not isinstance(value, str):
        value = session[SSO] = secrets.token_hex(16)
    return value


def remember(session: SessionBase, *, service: str, ticket: str) -> None:
    tickets: list[Any] = session.get(TICKETS, [])
    session[TICKETS] = [*tickets, [service, ticket]][-KEEP:]


def forget(session: SessionBase) -> tuple[list[tuple[str, str]], str]:
    """Take the session's tickets and CAS identifier out of it, for single_logout."""
    tickets = [
        (entry[0], entry[1])
        for entry in session.pop(TICKETS, [])
        if isinstance(entry, list) and len(entry) == 2
    ]
    sso = session.pop(SSO, "")
    return tickets, sso if isinstance(sso, str) else ""


def end_cas_session(session: SessionBase) -> None:
    """Single logout of every CAS service that got a ticket in this session; call it before the
    session itself ends."""
    tickets, sso = forget(session)
    single_logout(tickets=tickets, sso=sso)


def sign_out_everywhere(request: HttpRequest) -> None:
    """Sign out of seuil, and of every CAS service that got a ticket in this session."""
    end_cas_session(request.session)
    end_session(request)
