"""The service registry: every service of the ENT, whom it is for, what it may learn about a
person, and how it signs people in (an OpenID Connect client here; CAS adds its own)."""

import secrets
from dataclasses import dataclass
from typing import ClassVar
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, models, transaction
from django.db.models.functions import Coalesce, NullIf
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from oauth2_provider.models import Application

from seuil.accounts.models import Account
from seuil.core.prepared import PreparedRead
from seuil.people.models import Status
from seuil.sso.chains import Chain
from seuil.sso.redirects import check_redirect_uri
from seuil.typography import french

# RFC 2606's second-level domains reserved for documentation; the `example` top-level domain too.
EXAMPLE_DOMAINS = ("example.com", "example.net", "example.org")


class Theme(models.TextChoices):
    COMMUNICATION = "communication", _("Communication")
    PEDAGOGIE = "pedagogie", _("Pédagogie")
    SCOLARITE = "scolarite", _("Scolarité")
    RH = "ressources-humaines", _("Ressources humaines")
    GESTION = "gestion", _("Gestion")
    RECHERCHE = "recherche", _("Recherche")
    DOCUMENTATION = "documentation", _("Documentation")
    VIE_PRATIQUE = "vie-pratique", _("Vie pratique")


class Claim(models.TextChoices):
    """What a service may learn about a person, named as OpenID Connect claims. `sub` is always
    sent; each of these also needs its scope (seuil.sso.claims.SCOPE_OF)."""

    NAME = "name", _("nom complet")
    GIVEN_NAME = "given_name", _("prénom")
    FAMILY_NAME = "family_name", _("nom")
    PREFERRED_USERNAME = "preferred_username", _("identifiant")
    EMAIL = "email", _("adresse institutionnelle")
    EMAIL_VERIFIED = "email_verified", _("adresse vérifiée")
    EDUPERSON_AFFILIATION = "eduperson_affiliation", _("affiliations")
    EDUPERSON_SCOPED_AFFILIATION = "eduperson_scoped_affiliation", _("affiliations avec domaine")
    EDUPERSON_PRINCIPAL_NAME = "eduperson_principal_name", _("identifiant fédéré (EPPN)")


# What a service registered without --claims receives: what Moodle, Nextcloud or GitLab need to
# create a local account (profile and email), not the R&E claims.
DEFAULT_CLAIMS = [
    Claim.NAME,
    Claim.GIVEN_NAME,
    Claim.FAMILY_NAME,
    Claim.PREFERRED_USERNAME,
    Claim.EMAIL,
    Claim.EMAIL_VERIFIED,
]


def _check_claims(value: object) -> None:
    if not isinstance(value, list) or not set(value) <= set(Claim.values):
        raise ValidationError(_("Informations inconnues : choisissez parmi %(claims)s."),
                              params={"claims": ", ".join(Claim.values)})  # fmt: skip


def _in_english() -> bool:
    """Whether the active language (the request's, or one activated) is English."""
    return (get_language() or "").split("-")[0] == "en"


class Shown(str):
    """A service's text as a page shows it, with the language it is in: an English page shows
    the French text of a service that has no English one, and marks it `lang="fr"`."""

    lang: str

    def __new__(cls, text: str, lang: str) -> "Shown":
        shown = super().__new__(cls, text)
        shown.lang = lang
        return shown


def _shown(in_french: str, in_english: str) -> Shown:
    """The English text on an English page when there is one, else the French text, spaced the
    French way even on an English page (the middleware spaces French pages only)."""
    if in_english and _in_english():
        return Shown(in_english, "en")
    return Shown(french(in_french), "fr")


@dataclass
class Registration:
    """What `ServiceQuerySet.register` did. The secret is in clear only here, to print once."""

    service: "Service"
    created: bool
    client_id: str = ""
    client_secret: str = ""


class ServiceQuerySet(models.QuerySet["Service"]):
    def offered_to(self, status: str) -> "ServiceQuerySet":
        """The portal's services of one status, grouped by theme in the order of Theme, then by
        position and the name the page shows (the English one, if any, on an English page)."""
        order = models.Case(
            *(
                models.When(theme=theme, then=position)
                for position, theme in enumerate(Theme.values)
            ),
            output_field=models.IntegerField(),
        )
        name = Coalesce(NullIf("name_en", models.Value("")), "name") if _in_english() else "name"
        return self.filter(shown_in_portal=True, statuses__status=status).order_by(
            order, "position", name
        )

    def for_client(self, client_id: str, *, status: str | None = None) -> "Service | None":
        """The service of an OpenID Connect client, with its client. Given the signed-in
        person's `status`, whether the service is for it comes in the same statement
        (`admits` reads it); else its statuses come in a second one."""
        if status is None:
            found = _of_client(self, client_id).prefetch_related("statuses")
            return next(iter(found), None)
        service = FOR_CLIENT.first(client_id, status)
        if service is not None:
            service.status_asked, service.is_for_status = status, bool(service.matches)  # type: ignore[attr-defined]
        return service

    @transaction.atomic
    def register(
        self,
        *,
        name: str,
        url: str | None = None,
        theme: str | None = None,
        statuses: list[str] | None = None,
        description: str | None = None,
        name_en: str | None = None,
        description_en: str | None = None,
        redirect_uris: list[str] | None = None,
        post_logout_uris: list[str] | None = None,
        claims: list[str] | None = None,
        hidden: bool | None = None,
        new_secret: bool = False,
        require_mfa: bool | None = None,
    ) -> Registration:
        """Create the service, or update the one of that name. What is not given is kept (a new
        service needs its address, theme and statuses); an empty English name or description
        removes it, and the French one shows instead. An OIDC
        client is created with the first redirect URI; its secret is generated when the client is
        created or `new_secret` is asked, and returned in clear only in the result. Raises
        ValidationError, writing nothing, when anything is wrong."""
        service = self.filter(name=name).first()
        created = service is None
        if service is None:
            missing = [
                option
                for option, value in [("--url", url), ("--theme", theme), ("--for", statuses)]
                if value is None
            ]
            if missing:
                raise ValidationError(
                    _("Un nouveau service demande %(missing)s."),
                    params={"missing": ", ".join(missing)},
                )
            service = self.model(name=name, claims=list(DEFAULT_CLAIMS))
        if url is not None:
            service.url = url
        if theme is not None:
            service.theme = theme
        if description is not None:
            service.description = description
        if name_en is not None:
            service.name_en = name_en
        if description_en is not None:
            service.description_en = description_en
        if claims is not None:
            service.claims = claims
        if hidden is not None:
            service.shown_in_portal = not hidden
        if require_mfa is not None:
            service.require_mfa = require_mfa
        unknown = sorted(set(statuses or ()) - set(Status.values))
        if unknown or statuses == []:
            raise ValidationError(
                _("Statuts inconnus ou absents : %(unknown)s ; choisissez parmi %(known)s."),
                params={"unknown": ", ".join(unknown) or "—", "known": ", ".join(Status.values)},
            )
        service.full_clean(exclude=["oidc_client"])
        result = Registration(service, created)
        if redirect_uris or post_logout_uris or new_secret:
            result.client_id, result.client_secret = service.configure_client(
                redirect_uris=redirect_uris,
                post_logout_uris=post_logout_uris,
                new_secret=new_secret,
            )
        service.save()
        if statuses is not None:
            service.set_statuses(statuses)
        return result


class Service(models.Model):
    """A service of the ENT: its entry in "Mon ENT", the statuses it is for, the claims it may
    receive, and optionally its OpenID Connect client."""

    name = models.CharField(_("nom"), max_length=80, unique=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    name_en = models.CharField(
        _("nom en anglais"),
        max_length=80,
        blank=True,
        help_text=_(
            "Montré sur les pages en anglais ; s'il est vide, elles montrent le nom en français."
        ),
    )
    description_en = models.CharField(
        _("description en anglais"),
        max_length=200,
        blank=True,
        help_text=_(
            "Montrée sur les pages en anglais ; si elle est vide, elles montrent la description en "
            "français."
        ),
    )
    url = models.URLField(_("adresse"), validators=[URLValidator(schemes=["http", "https"])])
    theme = models.CharField(_("thème"), max_length=32, choices=Theme.choices)
    position = models.PositiveSmallIntegerField(_("ordre dans le thème"), default=0)
    shown_in_portal = models.BooleanField(_("visible dans Mon ENT"), default=True)
    claims = models.JSONField(
        _("informations transmises"), default=list, blank=True, validators=[_check_claims]
    )
    require_mfa = models.BooleanField(
        _("second facteur exigé"),
        default=False,
        help_text=_(
            "Le service ne reçoit un code, un ticket ou une assertion qu'après un second facteur "
            "(clé d'accès, application d'authentification) utilisé dans la session."
        ),
    )
    oidc_client = models.OneToOneField(
        Application,
        verbose_name=_("client OpenID Connect"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="service",
    )

    objects: ClassVar[ServiceQuerySet] = ServiceQuerySet.as_manager()  # type: ignore[assignment]
    # Set by ServiceQuerySet.for_client(status=…): whether the service is for that status.
    status_asked: str | None = None
    is_for_status: bool = False

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["theme", "position", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_example(self) -> bool:
        """Its address is under a domain reserved for examples (RFC 2606: `example`,
        `example.org`…), which exists nowhere: Mon ENT then says so instead of linking to it."""
        host = (urlsplit(self.url).hostname or "").rstrip(".").lower()
        return host.split(".")[-1] == "example" or any(
            host == domain or host.endswith(f".{domain}") for domain in EXAMPLE_DOMAINS
        )

    @property
    def display_name(self) -> Shown:
        """The name a person sees: the English one when the active language is English and it is
        set, else the French one. Every page naming a service to a person uses this."""
        return _shown(self.name, self.name_en)

    @property
    def display_description(self) -> Shown:
        """The description a person sees, chosen as `display_name` is."""
        return _shown(self.description, self.description_en)

    def status_codes(self) -> set[str]:
        return {row.status for row in self.statuses.all()}

    def status_labels(self) -> list[str]:
        """The statuses it is for, in words, as the refusal pages name them."""
        labels = dict(Status.choices)
        return [str(labels[code]) for code in sorted(self.status_codes())]

    def set_statuses(self, statuses: list[str]) -> None:
        self.statuses.exclude(status__in=statuses).delete()
        have = self.status_codes()
        ServiceStatus.objects.bulk_create(
            ServiceStatus(service=self, status=s) for s in statuses if s not in have
        )

    def admits(self, account: Account) -> bool:
        """Whether this account may use the service now: its account is open (not expired, locked
        or awaiting activation) and its person has one of the service's statuses. Operators
        without a person are for the admin, not for services."""
        person = getattr(account, "person", None)
        if not (account.is_active and person):
            return False
        if self.status_asked == person.status:  # read with the service (for_client)
            return self.is_for_status
        return person.status in self.status_codes()

    def configure_client(
        self,
        *,
        redirect_uris: list[str] | None,
        post_logout_uris: list[str] | None,
        new_secret: bool,
    ) -> tuple[str, str]:
        """Create or update the OIDC client; return (client_id, secret), the secret in clear when
        one was generated, else "". The secret is stored hashed (seuil.sso.hashers)."""
        client = self.oidc_client
        if client is None and not redirect_uris:
            raise ValidationError(_("Un client OpenID Connect a besoin d'une adresse de retour."))
        for uri in [*(redirect_uris or []), *(post_logout_uris or [])]:
            check_redirect_uri(uri)
        secret = ""
        if client is None:
            client = Application(
                client_type=Application.CLIENT_CONFIDENTIAL,
                authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
                algorithm=Application.RS256_ALGORITHM,
                skip_authorization=True,  # institutional services: no consent screen
            )
            new_secret = True
        client.name = self.name
        if redirect_uris:
            client.redirect_uris = " ".join(redirect_uris)
        if post_logout_uris is not None:
            client.post_logout_redirect_uris = " ".join(post_logout_uris)
        if new_secret:
            secret = secrets.token_urlsafe(48)
            client.client_secret = secret  # hashed by the field on save
        client.save()
        self.oidc_client = client
        return client.client_id, secret


class ServiceStatus(models.Model):
    """One status a service is for."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="statuses")
    status = models.CharField(_("statut"), max_length=24, choices=Status.choices)

    class Meta:
        verbose_name = _("statut")
        verbose_name_plural = _("statuts")
        constraints = [
            models.UniqueConstraint(fields=["service", "status"], name="service_status_once")
        ]

    def __str__(self) -> str:
        return str(self.get_status_display())


class Subject(models.Model):
    """The `sub` seuil gives an account: random, given once, never reassigned (accounts are never
    deleted). Neither the login, which may change, nor the database key, which tells how many
    accounts exist."""

    account = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="oidc_subject"
    )
    sub = models.CharField(max_length=43, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("identifiant OpenID Connect")
        verbose_name_plural = _("identifiants OpenID Connect")

    def __str__(self) -> str:
        return self.sub

    @classmethod
    def of(cls, account: Account) -> str:
        """The account's `sub`, given at its first OIDC sign-in. Two hosts giving it at once:
        the unique constraint keeps one, and the loser reads it."""
        try:  # read with the account where the caller joined it (select_related)
            return str(account.oidc_subject.sub)
        except cls.DoesNotExist:
            pass
        try:
            with transaction.atomic():
                return cls.objects.create(account=account, sub=secrets.token_urlsafe(32)).sub
        except IntegrityError:
            return str(cls.objects.get(account=account).sub)


def _of_client(services: models.QuerySet[Service], client_id: str) -> models.QuerySet[Service]:
    """The service of an OIDC client, with it. A unique client: neither the model's ORDER BY
    nor first()'s."""
    found = services.select_related("oidc_client").filter(oidc_client__client_id=client_id)
    return found.order_by()[:1]


def _for_client(client_id: str, status: str) -> models.QuerySet[Service]:
    statuses = ServiceStatus.objects.filter(service=models.OuterRef("pk"), status=status)
    return _of_client(Service.objects.annotate(matches=models.Exists(statuses)), client_id)


# Every authorization request reads it: compiled once per worker (seuil.core.prepared).
FOR_CLIENT = PreparedRead(_for_client, "seuil:prepared:client", "seuil:prepared:status")

__all__ = ["Chain", "Claim", "Service", "ServiceStatus", "Subject", "Theme"]
