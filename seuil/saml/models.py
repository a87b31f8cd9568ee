"""SAML service providers, the identifiers seuil gives people at each, and what was consented to.

Every SP's metadata lives here, one row per entity, so that every worker on every host reads the
one it needs by its entityID instead of parsing a whole federation (pysaml2 needs 22 s and
400 MiB per process for 6,000 SPs). Identifiers are random, stored, and never reassigned.
"""

import base64
import secrets
from datetime import timedelta
from typing import ClassVar

from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from seuil.core.queue import QueueItem, QueueQuerySet
from seuil.saml.entities import Entity
from seuil.sso.models import Service


class Federation(models.Model):
    """One aggregate named in SEUIL_SAML_FEDERATIONS, and how its last refresh went."""

    name = models.CharField(_("nom"), max_length=40, unique=True)
    url = models.CharField(_("adresse"), max_length=1000)
    refreshed_at = models.DateTimeField(_("dernière copie valide"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valide jusqu'au"), null=True, blank=True)
    attempted_at = models.DateTimeField(_("dernier essai"), null=True, blank=True)
    error = models.TextField(_("dernière erreur"), blank=True)
    entities = models.PositiveIntegerField(_("services"), default=0)
    skipped = models.JSONField(_("entités écartées"), default=list, blank=True)

    class Meta:
        verbose_name = _("fédération")
        verbose_name_plural = _("fédérations")

    def __str__(self) -> str:
        return self.name


class ServiceProviderQuerySet(models.QuerySet["ServiceProvider"]):
    def usable(self) -> "ServiceProviderQuerySet":
        """SPs whose metadata has not expired."""
        now = timezone.now()
        return self.filter(models.Q(valid_until__isnull=True) | models.Q(valid_until__gt=now))

    def save_entity(
        self,
        entity: "Entity",
        *,
        service: Service | None = None,
        federation: "Federation | None" = None,
    ) -> "ServiceProvider":
        """Store an SP read from its metadata, for one of the institution's services or for a
        federation; an entityID registered for a service stays the service's."""
        fields = {
            "metadata": entity.metadata,
            "name": entity.name,
            "name_en": entity.name_en,
            "research_and_scholarship": entity.research_and_scholarship,
            "subject_id_req": entity.subject_id_req,
            "authn_requests_signed": entity.authn_requests_signed,
            "valid_until": entity.valid_until,
            "service": service,
            "federation": federation,
        }
        sp, _ = self.update_or_create(entity_id=entity.entity_id, defaults=fields)
        return sp


class ServiceProvider(models.Model):
    """A SAML SP: one of the institution's own services (`service`), registered with
    `register_service --saml-sp`, or one of a federation's."""

    entity_id = models.CharField(_("entityID"), max_length=1024, unique=True)
    metadata = models.TextField(_("métadonnées"))
    service = models.ForeignKey(
        Service,
        verbose_name=_("service"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="saml_sps",
    )
    federation = models.ForeignKey(
        Federation,
        verbose_name=_("fédération"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sps",
    )
    name = models.CharField(_("nom"), max_length=200, blank=True)
    name_en = models.CharField(_("nom en anglais"), max_length=200, blank=True)
    research_and_scholarship = models.BooleanField(_("Research & Scholarship"), default=False)
    # urn:oasis:names:tc:SAML:profiles:subject-id:req: "subject-id", "pairwise-id", "any", "none"
    subject_id_req = models.CharField(_("identifiant demandé"), max_length=16, blank=True)
    authn_requests_signed = models.BooleanField(_("requêtes signées exigées"), default=False)
    valid_until = models.DateTimeField(_("valide jusqu'au"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects: ClassVar[ServiceProviderQuerySet] = ServiceProviderQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("fournisseur de service SAML")
        verbose_name_plural = _("fournisseurs de service SAML")

    def __str__(self) -> str:
        return self.name or self.entity_id

    @property
    def display_name(self) -> str:
        if self.service is not None:
            return str(self.service.display_name)
        english = (get_language() or "").startswith("en")
        return (self.name_en if english and self.name_en else self.name) or self.entity_id


class FederationRelease(models.Model):
    """What an operator allows one federation SP to receive beyond the opaque identifier and the
    scoped affiliation (release rules, docs/saml.md)."""

    entity_id = models.CharField(_("entityID"), max_length=1024, unique=True)
    attributes = models.JSONField(_("attributs permis"), default=list)
    reason = models.CharField(_("motif"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("attributs permis à un service fédéré")
        verbose_name_plural = _("attributs permis aux services fédérés")

    def __str__(self) -> str:
        return self.entity_id


def _opaque() -> str:
    """32 characters of [a-z2-7] (160 bits): valid in a persistent NameID and as the unique part
    of a pairwise-id or subject-id, whose grammar forbids "_"."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii").lower()


class PersistentId(models.Model):
    """The identifier an account has at one SP (entity_id), or, with an empty entity_id, its
    subject-id shared by all. Given once, never reassigned: rows are never deleted, and the value
    is unique across the table."""

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="saml_ids"
    )
    entity_id = models.CharField(max_length=1024, blank=True)
    value = models.CharField(max_length=32, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("identifiant SAML")
        verbose_name_plural = _("identifiants SAML")
        constraints = [
            models.UniqueConstraint(fields=["account", "entity_id"], name="saml_id_once_per_sp")
        ]

    def __str__(self) -> str:
        return self.value

    @classmethod
    def of(cls, account: object, entity_id: str) -> str:
        """The account's identifier at this SP ("" for its subject-id). Two hosts giving it at
        once: the unique constraint keeps one, and the loser reads it."""
        found = cls.objects.filter(account=account, entity_id=entity_id).first()
        if found:
            return found.value
        try:
            with transaction.atomic():
                return cls.objects.create(
                    account=account, entity_id=entity_id, value=_opaque()
                ).value
        except IntegrityError:
            return cls.objects.get(account=account, entity_id=entity_id).value


class Consent(models.Model):
    """A person's yes to sending these attributes (names, never values) to a federation SP."""

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saml_consents"
    )
    entity_id = models.CharField(max_length=1024)
    attributes = models.JSONField(default=list)
    given_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "entity_id"], name="saml_consent_once")
        ]

    def __str__(self) -> str:
        return self.entity_id


class SeenRequest(models.Model):
    """Request IDs already answered, for as long as they could be replayed: in the database, so
    that a request replayed to another host is refused as well."""

    issuer = models.CharField(max_length=1024)
    request_id = models.CharField(max_length=256)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "request_id"], name="saml_request_once")
        ]

    def __str__(self) -> str:
        return self.request_id

    @classmethod
    def first_time(cls, *, issuer: str, request_id: str, window: timedelta) -> bool:
        """Record the request; False if it was seen before (a replay). One INSERT … ON
        CONFLICT DO NOTHING (PostgreSQL, SQLite ≥ 3.24) decides, on any host, without the
        transaction and the IntegrityError a plain INSERT would need."""
        now = timezone.now()
        table = connection.ops.quote_name(cls._meta.db_table)
        adapt = connection.ops.adapt_datetimefield_value
        with connection.cursor() as cursor:
            # Raw, like the INSERT: the ORM's delete() wraps itself in a transaction, two more
            # round trips on PostgreSQL. Nothing else points at these rows.
            cursor.execute(f"DELETE FROM {table} WHERE expires_at < %s", [adapt(now)])  # noqa: S608  # nosec B608 -- its own table
            cursor.execute(
                f"INSERT INTO {table} (issuer, request_id, expires_at) VALUES (%s, %s, %s) "  # noqa: S608  # nosec B608 -- its own table
                "ON CONFLICT (issuer, request_id) DO NOTHING",
                [issuer, request_id, adapt(now + window)],
            )
            return bool(cursor.rowcount == 1)


class BackChannelLogoutQuerySet(QueueQuerySet["BackChannelLogout"]):
    pass


class BackChannelLogout(QueueItem):
    """A LogoutRequest owed to an SP over the SOAP binding, for a session that ended without a
    browser (a password reset, HR's lock, the expiry…): one row per SP of the session, sent by
    seuil.saml.backchannel at once and retried by `seuil saml_logout` (cron) while the SP is
    down, then given up with an audit record. `key` makes a session's row once, however many
    times its end is reported."""

    # About four and a half hours of attempts, within the lifetime of an SP's session.
    BACKOFF = tuple(timedelta(minutes=m) for m in (1, 5, 15, 60))
    MAX_ATTEMPTS = 8
    LEASE = timedelta(minutes=2)  # an attempt lasts at most TIMEOUT seconds

    key = models.CharField(max_length=64, unique=True, editable=False)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("compte"),
        on_delete=models.CASCADE,
        related_name="saml_logouts",
    )
    entity_id = models.CharField(_("entityID"), max_length=1024)
    name_id = models.CharField(max_length=256)
    name_format = models.CharField(max_length=256, blank=True)
    session_indexes = models.JSONField(default=list)
    why = models.CharField(_("motif"), max_length=32)

    objects: ClassVar[BackChannelLogoutQuerySet] = BackChannelLogoutQuerySet.as_manager()  # type: ignore[assignment]

    class Meta(QueueItem.Meta):
        verbose_name = _("déconnexion SAML à transmettre")
        verbose_name_plural = _("déconnexions SAML à transmettre")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.entity_id
