"""CAS registrations and tickets (Apereo CAS Protocol 3.0).

Tickets live in the database, so that any worker on any host validates what another issued. Only
a SHA-256 digest of each ticket is stored: a copy of the table opens nothing.
"""

import hashlib
import json
import secrets
import string
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from seuil.core.prepared import PreparedRead
from seuil.mfa.session import cas_attributes
from seuil.people.attributes import PUBLISHED, attributes_of
from seuil.sso.chains import Sweep
from seuil.sso.models import ServiceStatus

# mod_auth_cas accepts only these after the prefix; an "_" sends browsers round in a loop.
ALPHABET = string.ascii_letters + string.digits
# The specification's advice for service and proxy tickets ("SHOULD expire within 5 minutes"),
# tightened: a service validates within milliseconds of the browser's redirect.
TICKET_LIFETIME = timedelta(seconds=10)
# Consumed and expired tickets are deleted this long after their issue, by the sweep that a
# ticket's issue makes at most once a minute in each worker (an expired ticket validates nothing).
KEPT_FOR = timedelta(minutes=5)
SWEEP = Sweep(timedelta(minutes=1))


def new_ticket(prefix: str) -> str:
    """`ST-`, `PT-`, `PGT-` or `PGTIOU-` and 48 letters and digits (285 bits of randomness)."""
    return f"{prefix}-" + "".join(secrets.choice(ALPHABET) for _ in range(48))


def digest(ticket: str) -> str:
    return hashlib.sha256(ticket.encode("utf-8", "surrogatepass")).hexdigest()


def covers(prefix: str, url: str) -> bool:
    """Whether `url` lies under the registered `prefix`: same scheme, host and port, and a path
    below the prefix's, cut at a "/" so that /app does not cover /application."""
    try:
        p, u = urlsplit(prefix), urlsplit(url)
        same_origin = (p.scheme.lower(), p.hostname, p.port) == (
            u.scheme.lower(),
            u.hostname,
            u.port,
        )
    except ValueError:  # a port out of range, an unbalanced "[" in the host
        return False
    if not same_origin or u.username is not None or u.password is not None:
        return False
    if _climbs(u.path):
        return False
    base, path = p.path or "/", u.path or "/"
    if not path.startswith(base):
        return False
    return base.endswith("/") or len(path) == len(base) or path[len(base)] == "/"


def _climbs(path: str) -> bool:
    """Whether a path has a "." or ".." segment, however a server behind the service may read
    it: percent-decoded as often as it changes (%252e%252e is %2e%2e, then ..), and with a
    segment's parameters cut off (Java containers read "..;" and "..;x" as "..")."""
    for _decoding in range(4):
        if any(part.split(";")[0] in {".", ".."} for part in path.replace("\\", "/").split("/")):
            return True
        decoded = unquote(path)
        if decoded == path:
            return False
        path = decoded
    return True  # encoded more than three times over: nobody registers such an address


def validate_prefix(value: str) -> None:
    parts = urlsplit(value)
    if (
        parts.scheme not in {"http", "https"}
        or not parts.hostname
        or parts.username is not None
        or parts.query
        or parts.fragment
    ):
        raise ValidationError(
            _("Indiquez le début d'une adresse http(s) complète, sans « ? » ni « # ».")
        )


class Kind(models.TextChoices):
    SERVICE = "service", _("service (reçoit des tickets)")
    PROXY_CALLBACK = "proxy-callback", _("rappel de proxy (reçoit des tickets de proxy)")


class CasServiceQuerySet(models.QuerySet["CasService"]):
    def for_url(
        self, url: str, kind: str = Kind.SERVICE, *, status: str | None = None
    ) -> "CasService | None":
        """The registration whose prefix covers the URL, the longest if several do, with its
        service. Only the prefixes that name the URL's host are read (each holds its host, in
        any case); given the signed-in person's `status`, whether the service is for it comes
        in the same statement (Service.admits reads it)."""
        if not url or len(url) > 2048:
            return None
        try:
            host = urlsplit(url).hostname
        except ValueError:
            return None
        if not host:
            return None
        found: list[CasService]
        if not host.isascii():  # the database's case-insensitive match is ASCII's only (SQLite)
            found = list(_of_kind(self, kind, status))
        elif status is None:
            found = FOR_HOST.all(kind, host, using=self.db)
        else:
            found = FOR_HOST_AND_STATUS.all(kind, host, status, using=self.db)
        covering = [entry for entry in found if covers(entry.prefix, url)]
        # The longest; of equal ones, the first in the model's order (kind, prefix).
        best = min(covering, key=lambda entry: (-len(entry.prefix), entry.prefix), default=None)
        if best is not None and status is not None:
            best.service.status_asked = status
            best.service.is_for_status = best.is_for_status  # type: ignore[attr-defined]
        return best

    def replace_for(self, service: Any, *, kind: str, prefixes: list[str]) -> None:
        """Make `prefixes` the service's registered ones of that kind (register_service). Raises
        ValidationError, writing nothing, for a malformed prefix or one another service holds."""
        errors = []
        for prefix in prefixes:
            try:
                validate_prefix(prefix)
            except ValidationError as error:
                errors.append(f"{prefix} : {' '.join(error.messages)}")
        taken = self.filter(prefix__in=prefixes).exclude(service=service)
        errors += [
            _("%(prefix)s : déjà enregistré pour « %(other)s ».")
            % {"prefix": entry.prefix, "other": entry.service}
            for entry in taken.select_related("service")
        ]
        if errors:
            raise ValidationError(errors)
        self.filter(service=service, kind=kind).exclude(prefix__in=prefixes).delete()
        for prefix in prefixes:
            self.update_or_create(prefix=prefix, defaults={"service": service, "kind": kind})


class CasService(models.Model):
    """A URL prefix under which a registered service may receive CAS tickets, or, for a proxy
    callback, proxy-granting tickets."""

    service = models.ForeignKey(
        "sso.Service",
        verbose_name=_("service"),
        on_delete=models.CASCADE,
        related_name="cas_prefixes",
    )
    prefix = models.CharField(
        _("début de l'adresse"), max_length=500, unique=True, validators=[validate_prefix]
    )
    kind = models.CharField(_("rôle"), max_length=16, choices=Kind.choices, default=Kind.SERVICE)

    objects: ClassVar[CasServiceQuerySet] = CasServiceQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("adresse CAS")
        verbose_name_plural = _("adresses CAS")
        ordering = ["kind", "prefix"]

    def __str__(self) -> str:
        return self.prefix


def _of_kind(
    registrations: "models.QuerySet[CasService]", kind: str, status: str | None
) -> "models.QuerySet[CasService]":
    found = registrations.filter(kind=kind).select_related("service").order_by()  # sorted after
    if status is None:
        return found
    statuses = ServiceStatus.objects.filter(service=models.OuterRef("service"), status=status)
    return found.annotate(is_for_status=models.Exists(statuses))


def _for_host(kind: str, host: str, status: str | None = None) -> "models.QuerySet[CasService]":
    # The host as a Value: the database escapes it for LIKE and adds the %s, so that the
    # statement's parameter is the host itself (PreparedRead puts each call's there).
    contains = models.Q(prefix__icontains=models.Value(host))
    return _of_kind(CasService.objects.filter(contains), kind, status)


# /cas/login and every validation read the registrations of the URL's host: compiled once.
FOR_HOST = PreparedRead(_for_host, "seuil:prepared:kind", "seuil:prepared:host")
FOR_HOST_AND_STATUS = PreparedRead(
    _for_host, "seuil:prepared:kind", "seuil:prepared:host", "seuil:prepared:status"
)


class ServiceTicketQuerySet(models.QuerySet["ServiceTicket"]):
    def issue(
        self,
        *,
        service: str,
        account: Any,
        proxied: bool = False,
        methods: dict[str, float] | None = None,
        **facts: Any,
    ) -> str:
        """A new ticket for one service; the caller hands it on, only its digest is kept. The
        session's authentication methods join the attributes (seuil.mfa.session.cas_attributes)."""
        now = timezone.now()
        if SWEEP.due(now):
            self.filter(created_at__lt=now - KEPT_FOR).delete()
        ticket = new_ticket("PT" if proxied else "ST")
        self.create(
            digest=digest(ticket),
            proxied=proxied,
            service=service,
            account=account,
            login=account.login,
            attributes=released(account) | cas_attributes(methods or {}),
            created_at=now,
            **facts,
        )
        return ticket

    def consume(self, ticket: str) -> "ServiceTicket | None":
        """The ticket if this call consumed it: of concurrent validations, exactly one wins the
        compare-and-set. Any attempt consumes it, as the specification requires.

        A validation is the protocol's hot path: one UPDATE … RETURNING (PostgreSQL, and SQLite
        since 3.35) sets, tests and reads the row, which already holds the user's attributes."""
        table = connection.ops.quote_name(self.model._meta.db_table)
        now = timezone.now()
        fields = returned(self.model)
        columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
        sql = (
            f"UPDATE {table} SET consumed_at = %s "  # noqa: S608  # nosec B608 -- its own table
            f"WHERE digest = %s AND consumed_at IS NULL RETURNING {columns}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [now, digest(ticket)])
            found = cursor.fetchone()
        if found is None:
            return None
        row = {f.attname: _python(f, raw) for f, raw in zip(fields, found, strict=True)}
        return self.model(**row, consumed_at=now)


# Read back by consume(): every column of the model but the two its UPDATE sets or matches, so
# that a field added to the model is read back with the others (test_cas.py checks the round
# trip field by field).
NOT_RETURNED = frozenset({"digest", "consumed_at"})


def returned(model: type[models.Model]) -> list[Any]:
    return [f for f in model._meta.concrete_fields if f.name not in NOT_RETURNED]


def _python(field: Any, raw: Any) -> Any:
    """A raw value of the driver's as the model holds it: SQLite gives booleans as integers,
    timestamps as naive UTC text and JSON as text."""
    if raw is None:
        return None
    if isinstance(field, models.BooleanField):
        return bool(raw)
    if isinstance(field, models.DateTimeField):
        return _moment(raw)
    if isinstance(field, models.JSONField):
        return _json(raw)
    return raw


def _moment(value: Any) -> datetime:
    """A timestamp from a raw row: SQLite gives naive UTC text, PostgreSQL an aware datetime."""
    moment = parse_datetime(value) if isinstance(value, str) else value
    if not isinstance(moment, datetime):
        raise ValueError(f"not a timestamp: {value!r}")
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=UTC)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def released(account: Any) -> dict[str, list[str]]:
    """What a CAS service learns of the person: the shared mapping under its LDAP names, less
    the personal address, which is for seuil's own mail."""
    withheld = {item.ldap for item in PUBLISHED if not item.cas}
    return {name: values for name, values in attributes_of(account).items() if name not in withheld}


class ServiceTicket(models.Model):
    """A service ticket (ST-) or proxy ticket (PT-): single use, TICKET_LIFETIME, one service."""

    digest = models.CharField(max_length=64, unique=True)
    proxied = models.BooleanField(default=False)
    service = models.CharField(max_length=2048)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    # The login and attributes as they were at the issue, at most TICKET_LIFETIME earlier: the
    # validation then reads one row and nothing else.
    login = models.CharField(max_length=150)
    attributes = models.JSONField(default=dict)
    created_at = models.DateTimeField(db_index=True)
    consumed_at = models.DateTimeField(null=True, blank=True)
    # When the person typed their password, and whether they did for this very ticket.
    authenticated_at = models.DateTimeField()
    from_new_login = models.BooleanField(default=False)
    # The browser session's CAS identifier: its proxy-granting tickets end with it.
    sso = models.CharField(max_length=32, blank=True)
    # For a proxy ticket, the proxies it went through, the most recent first.
    proxies = models.JSONField(default=list, blank=True)

    objects: ClassVar[ServiceTicketQuerySet] = ServiceTicketQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("ticket de service")
        verbose_name_plural = _("tickets de service")

    def __str__(self) -> str:
        return f"{'PT' if self.proxied else 'ST'} {self.service}"

    def expired(self) -> bool:
        return timezone.now() - self.created_at > TICKET_LIFETIME


class ProxyGrantingTicketQuerySet(models.QuerySet["ProxyGrantingTicket"]):
    def issue(self, *, callback: str, granted_by: ServiceTicket) -> str:
        now = timezone.now()
        self.filter(expires_at__lt=now).delete()
        ticket = new_ticket("PGT")
        self.create(
            digest=digest(ticket),
            callback=callback,
            account=granted_by.account,
            sso=granted_by.sso,
            proxies=[callback, *granted_by.proxies],
            authenticated_at=granted_by.authenticated_at,
            created_at=now,
            expires_at=now + timedelta(hours=settings.SEUIL_SESSION_MAX_HOURS),
        )
        return ticket

    def valid(self, ticket: str) -> "ProxyGrantingTicket | None":
        return (
            self.select_related("account")
            .filter(digest=digest(ticket), expires_at__gt=timezone.now())
            .first()
        )


class ProxyGrantingTicket(models.Model):
    """A proxy-granting ticket (PGT-): lets a proxy ask for proxy tickets while the person's
    session lasts; deleted when the person signs out."""

    digest = models.CharField(max_length=64, unique=True)
    callback = models.CharField(max_length=2048)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    sso = models.CharField(max_length=32, blank=True, db_index=True)
    proxies = models.JSONField(default=list)
    authenticated_at = models.DateTimeField()
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    objects: ClassVar[ProxyGrantingTicketQuerySet] = ProxyGrantingTicketQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("ticket de proxy")
        verbose_name_plural = _("tickets de proxy")

    def __str__(self) -> str:
        return f"PGT {self.callback}"
