import secrets
from datetime import UTC, timedelta
from typing import Any, ClassVar

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from seuil.accounts.models import Account, SignOn
from seuil.accounts.passwords import normalise_sesame
from seuil.accounts.states import CLOSED
from seuil.audit.models import Action, AuditEvent
from seuil.core import keys
from seuil.security import throttle

PROOF_SECONDS = 30 * 60  # long enough to fix a form, short enough to leave no lasting key
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # no I, L, O, U: nothing to misread
SESAME_LENGTH = 13  # 65 bits
_DIGEST_SALT = "seuil.activation.sesame"
# Compared against when there is no live Sésame, so that an unknown login costs the same work.
_NO_SESAME = keys.digest(_DIGEST_SALT, "no live sesame")


@sensitive_variables()
def sesame_digest(code: str) -> str:
    """A keyed hash (HMAC-SHA256 under SECRET_KEY): the database alone cannot test guesses."""
    return keys.digest(_DIGEST_SALT, normalise_sesame(code))


@sensitive_variables()
def sesame_matches(code: str, stored: str) -> bool:
    """Whether the code is the one hashed in `stored`, under the current key or a fallback."""
    return keys.matches(_DIGEST_SALT, normalise_sesame(code), stored)


def format_sesame(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


class SesameQuerySet(models.QuerySet["Sesame"]):
    def live(self) -> "SesameQuerySet":
        return self.filter(used_at__isnull=True, revoked_at__isnull=True)

    @sensitive_variables()
    def verify(self, login: str, code: str) -> "Sesame | None":
        """The login's live, unexpired Sésame if the code matches it. Whatever the reason for a
        failure (unknown login, wrong, used, revoked or expired code), the work is the same."""
        # The account by its login, then its Sésame by the account (one live per account,
        # sesame_one_live_per_account), whatever the planner knows: joined on the login, a table
        # of Sésames without statistics yet (just issued to a new intake) was walked whole, 3.3 ms
        # for 3,000 on PostgreSQL, where this is two index lookups (0.06 ms).
        account = Account.objects.filter(login=login.strip().lower()).values("pk")[:1]
        found = (
            self.live()
            .filter(account_id=models.Subquery(account), expires_at__gt=timezone.now())
            .select_related("account", "account__person")
        )
        sesame = next(iter(found[:1]), None)
        matches = sesame_matches(code, sesame.digest if sesame else _NO_SESAME)
        # Void for a closed account even before the nightly job revokes it.
        return sesame if sesame and matches and sesame.account.state_on() not in CLOSED else None

    def proven(self, proof: dict[str, Any] | None, login: str) -> "Sesame | None":
        """The Sésame a proof says was verified for this login, if it is still live: so a refusal
        for another field does not make the person type it again. The proof ({"pk", "login"})
        holds no secret; the view keeps it signed and timed (seuil.core.steps)."""
        if not proof or proof.get("login") != login.strip().lower():
            return None
        sesame = (
            self.live()
            .filter(pk=int(proof.get("pk") or 0), account__login=proof["login"])
            .filter(expires_at__gt=timezone.now())
            .select_related("account", "account__person")
            .first()
        )
        return sesame if sesame and sesame.account.state_on() not in CLOSED else None


class Sesame(models.Model):
    """A one-time code HR hands over so that a person can set their own password."""

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sesames"
    )
    digest = models.CharField(_("empreinte"), max_length=64, editable=False)
    issued_at = models.DateTimeField(_("émis le"), default=timezone.now)
    expires_at = models.DateTimeField(_("expire le"))
    used_at = models.DateTimeField(_("utilisé le"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("émis par"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects: ClassVar[SesameQuerySet] = SesameQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("Sésame")
        verbose_name_plural = _("Sésames")
        ordering = ["-issued_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(used_at__isnull=True, revoked_at__isnull=True),
                name="sesame_one_live_per_account",
            )
        ]

    def __str__(self) -> str:
        return f"Sésame {self.account} ({self.issued_at:%Y-%m-%d})"

    @sensitive_variables()
    def matches(self, text: str) -> bool:
        return sesame_matches(text, self.digest)

    @classmethod
    @sensitive_variables()
    def issue(
        cls, account: Account, *, by: Account | None = None, ip: str = ""
    ) -> tuple["Sesame", str]:
        """A new Sésame for the account, revoking the previous one. The code is returned once,
        formatted for a letter (XXXX-XXXX-XXXX-X), and never stored."""
        account.refuse_unless_it(by)  # a Sésame replaces the password: never HR's for an operator
        code = "".join(secrets.choice(CROCKFORD) for _ in range(SESAME_LENGTH))
        now = timezone.now()
        actor = by.login if by else "cli"
        with transaction.atomic():
            for previous in cls.objects.live().filter(account=account).select_for_update():
                previous.revoked_at = now
                previous.save(update_fields=["revoked_at"])
                AuditEvent.record(Action.SESAME_REVOKED, account=account, actor=actor, ip=ip)
            # A new Sésame replaces the password: whoever holds the old one is signed out.
            SignOn.objects.filter(account=account).end(why="sesame")
            sesame = cls.objects.create(
                account=account,
                digest=sesame_digest(code),
                issued_at=now,
                expires_at=now + timedelta(days=settings.SEUIL_SESAME_DAYS),
                issued_by=by,
            )
            AuditEvent.record(
                Action.SESAME_ISSUED,
                account=account,
                actor=actor,
                ip=ip,
                expires=sesame.expires_at.isoformat(),
            )
        # The way out of an activation lock (SECURITY.md): the new Sésame works at once.
        transaction.on_commit(lambda: throttle.lift_every(account.login))
        return sesame, format_sesame(code)

    def consume(self) -> bool:
        """Use the Sésame up, unless a concurrent request already did: exactly one wins."""
        used = Sesame.objects.live().filter(pk=self.pk).update(used_at=timezone.now())
        return used == 1

    @property
    def state(self) -> str:
        if self.used_at:
            return str(_("utilisé"))
        if self.revoked_at:
            return str(_("révoqué"))
        return str(_("expiré")) if self.expires_at <= timezone.now() else str(_("valide"))


class CharterAcceptance(models.Model):
    """Proof that a person accepted a version of the charter, when and from where."""

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="charter_acceptances"
    )
    version = models.CharField(_("version"), max_length=64)
    accepted_at = models.DateTimeField(_("acceptée le"), default=timezone.now)
    ip = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)

    class Meta:
        verbose_name = _("acceptation de la charte")
        verbose_name_plural = _("acceptations de la charte")
        ordering = ["-accepted_at"]

    def __str__(self) -> str:
        return f"{self.account} — {self.version}"


CODE_MINUTES = 30
CODE_TRIES = 5
_CODE_SALT = "seuil.activation.student-code"


_CODE_VALUE_SALT = "seuil.activation.student-code-value"


def code_digest(account_pk: int, code: str, secret: str | None = None) -> str:
    digits = "".join(code.split())
    return keys.digest(_CODE_SALT, f"{account_pk}:{digits}", secret)


def code_matches(account_pk: int, code: str, stored: str) -> bool:
    digits = "".join(code.split())
    return keys.matches(_CODE_SALT, f"{account_pk}:{digits}", stored)


class StudentCodeQuerySet(models.QuerySet["StudentCode"]):
    def unspent(self) -> "StudentCodeQuerySet":
        """Neither used by an activation nor revoked by a newer code."""
        return self.filter(used_at__isnull=True, revoked_at__isnull=True)

    def live(self) -> "StudentCodeQuerySet":
        return self.unspent().filter(expires_at__gt=timezone.now(), failures__lt=CODE_TRIES)

    @sensitive_variables()
    def verify(self, account: Account, code: str) -> "StudentCode | None":
        """The account's live code if this is it; a wrong one counts, and the fifth voids it."""
        live = self.live().filter(account=account).order_by("-created_at").first()
        if live is None:
            code_matches(account.pk, code, _NO_SESAME)  # the same work as a comparison
            return None
        if code_matches(account.pk, code, live.digest):
            return live
        StudentCode.objects.filter(pk=live.pk).update(failures=models.F("failures") + 1)
        return None


class StudentCode(models.Model):
    """The 8-digit code mailed to a student's personal address, standing for the Sésame."""

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="student_codes"
    )
    digest = models.CharField(_("empreinte"), max_length=64, editable=False)
    created_at = models.DateTimeField(_("envoyé le"), default=timezone.now)
    expires_at = models.DateTimeField(_("expire le"))
    failures = models.PositiveSmallIntegerField(_("essais erronés"), default=0)
    used_at = models.DateTimeField(_("utilisé le"), null=True, blank=True)
    # Voided by a newer code: kept apart from used_at, which only an activation sets, so that
    # "used" always means an account was activated with it.
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)

    objects: ClassVar[StudentCodeQuerySet] = StudentCodeQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("code de Validation Étudiant")
        verbose_name_plural = _("codes de Validation Étudiant")

    def __str__(self) -> str:
        return f"code {self.account} ({self.created_at:%Y-%m-%d %H:%M})"

    @classmethod
    def issue(cls, account: Account) -> "StudentCode":
        """A new code for the account, voiding its previous ones. The code itself is made by
        `code()` when the mail leaves."""
        now = timezone.now()
        with transaction.atomic():
            cls.objects.live().filter(account=account).update(revoked_at=now)
            code = cls(
                account=account, created_at=now, expires_at=now + timedelta(minutes=CODE_MINUTES)
            )
            code.digest = code_digest(account.pk, code.code())
            code.save()
        return code

    @sensitive_variables()
    def code(self) -> str:
        """The 8 digits, derived from the row under the secret key: the database alone holds
        neither them nor a way to make them, and making them twice gives the same. A code issued
        before a rotation of the key is made under the key its digest was made with."""
        stamp = self.created_at.astimezone(UTC).isoformat()
        made = ""
        for secret in reversed(keys.secrets()):  # the current key's when several would match
            mac = keys.digest(_CODE_VALUE_SALT, f"{self.account_id}:{stamp}", secret)
            value = f"{int(mac, 16) % 10**8:08d}"
            if not self.digest or code_digest(self.account_id, value, secret) == self.digest:
                made = value
        return made

    def consume(self) -> bool:
        """Use the code up, unless a concurrent request already did: exactly one wins."""
        return StudentCode.objects.unspent().filter(pk=self.pk).update(used_at=timezone.now()) == 1
