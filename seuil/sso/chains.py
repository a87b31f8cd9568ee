"""What each authorization code led to: the browser session that authorized it, how its person
proved who they are there (RFC 8176 methods, with their times: the ID tokens' acr and amr), and
the family of refresh tokens it started. django-oauth-toolkit knows tokens by person and client
only; this ties them to the sign-on they were issued under, so that they end with it (a
sign-out, a password change, HR's lock), never outlive its absolute lifetime, die with a
replayed code, and say on every refresh how the session's sign-in was made."""

import hashlib
from datetime import datetime, timedelta
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from oauth2_provider.models import Grant, RefreshToken

from seuil.core.bulk import insert_one, insert_statement, saved, write_together
from seuil.core.hooks import EndedSession


def code_digest(code: str) -> str:
    """How a code is stored and looked up: like tokens, only its SHA-256 is kept."""
    return hashlib.sha256(code.encode("utf-8", "surrogatepass")).hexdigest()


class Sweep:
    """Housekeeping that deletes rows past their use at most once per `every` in a worker,
    instead of once per row written: the rows it removes are refused anyway (an expired chain
    refreshes nothing, an expired ticket validates nothing), so sweeping later changes what the
    tables hold for a minute, never what they let through."""

    def __init__(self, every: timedelta) -> None:
        self.every = every
        self.last: datetime | None = None

    def due(self, now: datetime) -> bool:
        if self.last is not None and timedelta(0) <= now - self.last < self.every:
            return False
        self.last = now
        return True


SWEEP = Sweep(timedelta(minutes=1))


class ChainQuerySet(models.QuerySet["Chain"]):
    def start(
        self,
        *,
        code: str,
        sign_on: str,
        signed_in_at: Any,
        methods: dict[str, float] | None = None,
        grant: Grant | None = None,
    ) -> "Chain":
        """Record a new code, with its grant (unsaved) if given: on PostgreSQL both rows in one
        statement, without a transaction of their own; on SQLite in one transaction. Neither is
        compiled by the ORM: this is every authorization. (Written with a grant, the chain's
        primary key is not read back.) Chains older than a session's lifetime go now and then
        (no token of theirs may live on: validate_refresh_token refuses a chain past its
        lifetime)."""
        now = timezone.now()
        if SWEEP.due(now):
            self.filter(created_at__lt=now - lifetime()).delete()
        chain = self.model(
            code=code,
            sign_on=sign_on,
            signed_in_at=signed_in_at,
            methods=methods or {},
            created_at=now,
        )
        if grant is None:
            return insert_one(chain, using=self.db)
        writes = [insert_statement(row, using=self.db) for row in (grant, chain)]
        write_together(writes, using=self.db, atomic_on_sqlite=True)
        saved([grant, chain], using=self.db)
        return chain

    def revoke(self) -> int:
        """Every token these chains issued, and the codes not yet redeemed."""
        chains = list(self.values_list("code", "family"))
        for _code, family in chains:
            if family is not None:
                RefreshToken.revoke_family(family)
        Grant.objects.filter(code__in=[code for code, family in chains if family is None]).delete()
        return len(chains)


def lifetime() -> timedelta:
    return timedelta(hours=settings.SEUIL_SESSION_MAX_HOURS)


class Chain(models.Model):
    code = models.CharField(max_length=64, unique=True)  # the code's digest
    sign_on = models.CharField(max_length=32, blank=True, db_index=True)
    signed_in_at = models.DateTimeField()
    # How the session's person proved who they are ({"pwd": timestamp, "otp": timestamp}),
    # for the acr and amr of every ID token of the chain, at the code's redemption and after.
    methods = models.JSONField(default=dict, blank=True)
    family = models.UUIDField(null=True, blank=True, unique=True)
    created_at = models.DateTimeField(db_index=True)

    objects: ClassVar[ChainQuerySet] = ChainQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "chaîne de jetons"

    def __str__(self) -> str:
        return f"{self.sign_on} {self.created_at:%Y-%m-%d %H:%M}"

    def expired(self) -> bool:
        """Past the absolute lifetime of the session that started it."""
        return timezone.now() - self.signed_in_at >= lifetime()


def session_ended(ended: EndedSession) -> None:
    """The OpenID Connect tokens issued under a session end with it."""
    if ended.sign_on:
        Chain.objects.filter(sign_on=ended.sign_on).revoke()


def token_digest(token: str) -> str:
    """How django-oauth-toolkit stores a token (COMPLIANT_BCP_RFC9700_TOKEN_STORAGE)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
