"""The XML bodies of CAS 3.0 (appendix A of the specification): every text is escaped, every name
is a fixed tag or an LDAP attribute name."""

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from xml.sax.saxutils import escape, quoteattr

from django.http import HttpResponse

NAMESPACE = "http://www.yale.edu/tp/cas"
# Characters XML 1.0 cannot carry, even escaped.
_UNSAFE = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# An LDAP attribute name (RFC 4512 descr) is also a valid XML element name.
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]*")


class Code:
    INVALID_REQUEST = "INVALID_REQUEST"
    INVALID_TICKET_SPEC = "INVALID_TICKET_SPEC"
    UNAUTHORIZED_SERVICE_PROXY = "UNAUTHORIZED_SERVICE_PROXY"
    INVALID_PROXY_CALLBACK = "INVALID_PROXY_CALLBACK"
    INVALID_TICKET = "INVALID_TICKET"
    INVALID_SERVICE = "INVALID_SERVICE"
    INTERNAL_ERROR = "INTERNAL_ERROR"


def _text(value: str) -> str:
    return escape(_UNSAFE.sub("\ufffd", value))


def _xml(body: str, status: int = 200) -> HttpResponse:
    document = f'<cas:serviceResponse xmlns:cas="{NAMESPACE}">\n{body}\n</cas:serviceResponse>\n'
    response = HttpResponse(document, content_type="application/xml; charset=utf-8", status=status)
    response["Cache-Control"] = "no-store"
    return response


def failure(code: str, message: str, *, proxy: bool = False) -> HttpResponse:
    tag = "cas:proxyFailure" if proxy else "cas:authenticationFailure"
    return _xml(f"  <{tag} code={quoteattr(code)}>{_text(message)}</{tag}>")


def proxy_success(ticket: str) -> HttpResponse:
    return _xml(
        f"  <cas:proxySuccess>\n    <cas:proxyTicket>{_text(ticket)}</cas:proxyTicket>\n"
        "  </cas:proxySuccess>"
    )


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def success(
    *,
    user: str,
    attributes: Mapping[str, Iterable[str]] | None,
    authenticated_at: datetime,
    from_new_login: bool,
    pgt_iou: str | None,
    proxies: Iterable[str],
) -> HttpResponse:
    lines = ["  <cas:authenticationSuccess>", f"    <cas:user>{_text(user)}</cas:user>"]
    if attributes is not None:
        lines.append("    <cas:attributes>")
        lines.append(
            f"      <cas:authenticationDate>{_stamp(authenticated_at)}</cas:authenticationDate>"
        )
        lines.append(
            "      <cas:longTermAuthenticationRequestTokenUsed>false"
            "</cas:longTermAuthenticationRequestTokenUsed>"
        )
        lines.append(
            f"      <cas:isFromNewLogin>{str(from_new_login).lower()}</cas:isFromNewLogin>"
        )
        for name, values in attributes.items():
            if not _NAME.fullmatch(name):
                continue
            lines.extend(f"      <cas:{name}>{_text(value)}</cas:{name}>" for value in values)
        lines.append("    </cas:attributes>")
    if pgt_iou:
        lines.append(f"    <cas:proxyGrantingTicket>{_text(pgt_iou)}</cas:proxyGrantingTicket>")
    chain = list(proxies)
    if chain:
        lines.append("    <cas:proxies>")
        lines.extend(f"      <cas:proxy>{_text(url)}</cas:proxy>" for url in chain)
        lines.append("    </cas:proxies>")
    lines.append("  </cas:authenticationSuccess>")
    return _xml("\n".join(lines))
