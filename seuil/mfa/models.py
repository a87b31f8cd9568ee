"""A person's second factors: one TOTP application, ten recovery codes, any number of passkeys.

Every check that spends something (a TOTP step, a recovery code, a passkey's signature counter)
does it in one conditional UPDATE, so that two hosts checking the same code at the same instant
cannot both accept it."""

import hmac
import secrets
import time
from typing import ClassVar

import pyotp
from django.conf import settings
from django.db import connection, connections, models, transaction
from django.db.models import F, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from seuil.accounts.models import Account
from seuil.mfa import crypto

STEP = 30  # seconds (RFC 6238's default, what every authenticator app assumes)
DIGITS = 6
DRIFT = 1  # steps accepted either side of now
RECOVERY_CODES = 10
# Ten characters from an alphabet without look-alikes (no 0/O, 1/l/I): 50 bits each.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_LENGTH = 10


class TotpDeviceQuerySet(models.QuerySet["TotpDevice"]):
    def confirmed(self) -> "TotpDeviceQuerySet":
        return self.filter(confirmed_at__isnull=False)

    def spend(self, account: Account, code: str, now: float | None = None) -> bool:
        """Accept a code of the account's confirmed application, once: the sign-in's hot path,
        in one read of two columns and one conditional UPDATE, written in SQL (the ORM's
        compilation of the two was a tenth of a TOTP check's CPU, issue 24 §7)."""
        connection = connections[self.db]
        meta, quote = self.model._meta, connection.ops.quote_name
        table, moment = quote(meta.db_table), timezone.now()
        # Only the model's own table and column names are interpolated; values are parameters.
        read = (
            f"SELECT {quote(str(meta.pk.column))}, {quote(_column('encrypted_key'))} FROM {table} "  # noqa: S608 # nosec B608
            f"WHERE {quote(_column('account'))} = %s AND {quote(_column('confirmed_at'))} "
            "IS NOT NULL"
        )
        move = (
            f"UPDATE {table} SET {quote(_column('last_step'))} = %s, "  # noqa: S608 # nosec B608
            f"{quote(_column('last_used_at'))} = %s WHERE {quote(str(meta.pk.column))} = %s "
            f"AND {quote(_column('last_step'))} < %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(read, [account.pk])
            found = cursor.fetchone()
            if found is None:
                return False
            pk, encrypted = found
            key = crypto.decrypt(encrypted)
            step = matching_step(key, code, now) if key else None
            if step is None:
                return False
            stamp = connection.ops.adapt_datetimefield_value(moment)
            cursor.execute(move, [step, stamp, pk, step])
            return bool(cursor.rowcount == 1)


def _column(name: str, model: type[models.Model] | None = None) -> str:
    field = (model or TotpDevice)._meta.get_field(name)
    assert isinstance(field, models.Field)  # noqa: S101 -- a column, not a relation's other side
    return str(field.column)


class TotpDevice(models.Model):
    """The account's authenticator application. It counts only once a first code confirmed it;
    until then it is a pending enrolment, which a new enrolment replaces."""

    account = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="totp_device"
    )
    encrypted_key = models.TextField(_("clé partagée (chiffrée)"))
    created_at = models.DateTimeField(_("créée le"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("confirmée le"), null=True, blank=True)
    # The last time step whose code was accepted: a code is never accepted twice, and no
    # earlier one after it (RFC 6238 §5.2).
    last_step = models.BigIntegerField(default=0)
    last_used_at = models.DateTimeField(_("dernière utilisation"), null=True, blank=True)

    objects: ClassVar[TotpDeviceQuerySet] = TotpDeviceQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("application d'authentification")
        verbose_name_plural = _("applications d'authentification")

    def __str__(self) -> str:
        return f"TOTP {self.account_id}"

    @classmethod
    def begin(cls, account: Account) -> "TotpDevice":
        """A new pending enrolment with a fresh 160-bit key (RFC 4226's recommended length),
        replacing any pending one; a confirmed device stays until the new one is confirmed."""
        key = pyotp.random_base32(32)
        with transaction.atomic():
            cls.objects.filter(account=account, confirmed_at__isnull=True).delete()
            device = cls.objects.filter(account=account).first()
            if device is not None:  # confirmed already: re-enrolment keeps it until confirmed
                raise ValueError("confirmed device: remove it before enrolling another")
            return cls.objects.create(account=account, encrypted_key=crypto.encrypt(key))

    @property
    def key(self) -> str:
        plain = crypto.decrypt(self.encrypted_key)
        if plain is None:
            raise RuntimeError("the TOTP key cannot be decrypted: SEUIL_MFA_KEY changed?")
        return plain

    def provisioning_uri(self, *, login: str, issuer: str) -> str:
        return pyotp.TOTP(self.key, digits=DIGITS, interval=STEP).provisioning_uri(
            name=login, issuer_name=issuer
        )

    def matching_step(self, code: str, now: float | None = None) -> int | None:
        return matching_step(self.key, code, now)

    def spend(self, code: str, now: float | None = None) -> bool:
        """Accept the code once: its step must be later than the last accepted one, and is
        recorded in the same conditional UPDATE that checks it."""
        step = self.matching_step(code, now)
        if step is None:
            return False
        moment = timezone.now()
        updated = TotpDevice.objects.filter(pk=self.pk, last_step__lt=step).update(
            last_step=step,
            last_used_at=moment,
            confirmed_at=models.functions.Coalesce(F("confirmed_at"), models.Value(moment)),
        )
        return updated == 1


def matching_step(key: str, code: str, now: float | None = None) -> int | None:
    """The time step, within one step of drift, whose code this is; None if none is. All three
    are computed and compared in constant time, whichever matches."""
    code = "".join(code.split())
    if len(code) != DIGITS or not code.isdigit():
        return None
    totp = pyotp.TOTP(key, digits=DIGITS, interval=STEP)
    current = int((time.time() if now is None else now) // STEP)
    found = None
    for step in range(current - DRIFT, current + DRIFT + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    return found


def _digest(code: str) -> str:
    """Recovery codes are random (50 bits), so a keyed hash is enough, and cheap to look up; it
    is keyed by the secret key, so a stolen database alone cannot be tried offline."""
    normal = "".join(ch for ch in code.lower() if ch.isalnum())
    return salted_hmac("seuil.mfa.recovery", normal, algorithm="sha256").hexdigest()


class RecoveryCodeQuerySet(models.QuerySet["RecoveryCode"]):
    def unused(self) -> "RecoveryCodeQuerySet":
        return self.filter(used_at__isnull=True)

    def renew(self, account: Account) -> list[str]:
        """Ten new codes, in clear only in the result (shown once); the old ones are void."""
        codes = [
            "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
            for _ in range(RECOVERY_CODES)
        ]
        with transaction.atomic():
            self.filter(account=account).delete()
            self.bulk_create(RecoveryCode(account=account, digest=_digest(c)) for c in codes)
        return [f"{c[:5]}-{c[5:]}" for c in codes]

    def spend(self, account: Account, code: str) -> bool:
        """Use one code, once: the conditional UPDATE lets exactly one of two concurrent uses
        through."""
        updated = self.filter(
            Q(account=account) & Q(digest=_digest(code)) & Q(used_at__isnull=True)
        ).update(used_at=timezone.now())
        return updated == 1


class RecoveryCode(models.Model):
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes"
    )
    digest = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[RecoveryCodeQuerySet] = RecoveryCodeQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("code de secours")
        verbose_name_plural = _("codes de secours")
        constraints = [
            models.UniqueConstraint(fields=["account", "digest"], name="mfa_recovery_unique")
        ]

    def __str__(self) -> str:
        return f"recovery {self.account_id}"


class Passkey(models.Model):
    """A WebAuthn discoverable credential, named by its owner."""

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="passkeys"
    )
    name = models.CharField(_("nom"), max_length=60)
    credential_id = models.BinaryField(unique=True)
    public_key = models.BinaryField()
    sign_count = models.BigIntegerField(default=0)
    transports = models.JSONField(default=list, blank=True)
    # Synced (multi-device, backed up) passkeys are software keys in RFC 8176's terms; those
    # bound to one authenticator are hardware keys.
    backed_up = models.BooleanField(default=False)
    created_at = models.DateTimeField(_("ajoutée le"), default=timezone.now)
    last_used_at = models.DateTimeField(_("dernière utilisation"), null=True, blank=True)

    class Meta:
        verbose_name = _("clé d'accès")
        verbose_name_plural = _("clés d'accès")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def method(self) -> str:
        """RFC 8176: hwk (a key bound to its device) or swk (a synced passkey)."""
        return "swk" if self.backed_up else "hwk"


KNOWN = "seuil_has_second_factor"  # read with the account at sign-in (see MfaConfig.ready)


def has_factor_sql() -> RawSQL:
    """Whether the account of the outer query has a second factor that counts, as SQL for the
    sign-in's SELECT of the account. Written out: two Exists() subqueries cost the ORM more to
    resolve and compile, on every sign-in, than the query they save."""
    quote = connection.ops.quote_name
    account = quote(Account._meta.db_table) + "." + quote(str(Account._meta.pk.column))
    passkeys, devices = quote(Passkey._meta.db_table), quote(TotpDevice._meta.db_table)
    owner, holder = quote(_column("account", Passkey)), quote(_column("account"))
    confirmed = quote(_column("confirmed_at"))
    # Only the models' own table and column names are interpolated; there are no values.
    sql = (
        f"EXISTS (SELECT 1 FROM {passkeys} WHERE {passkeys}.{owner} = {account}) "  # noqa: S608 # nosec B608
        f"OR EXISTS (SELECT 1 FROM {devices} WHERE {devices}.{holder} = {account} "
        f"AND {devices}.{confirmed} IS NOT NULL)"
    )
    return RawSQL(sql, (), output_field=models.BooleanField())  # noqa: S611 # nosec B611 -- no values, names only


def has_factor(account: Account) -> bool:
    """Whether the account has a second factor that counts: a confirmed TOTP application or a
    passkey. Recovery codes alone do not: they are the way back, not a factor of their own.
    Every sign-in asks: the password's SELECT answers it already
    (seuil.accounts.models.SIGN_IN_FACTS); else one query."""
    known = account.__dict__.get(KNOWN)
    if isinstance(known, bool):
        return known
    return (
        Account.objects.filter(pk=account.pk)
        .filter(Q(passkeys__isnull=False) | Q(totp_device__confirmed_at__isnull=False))
        .exists()
    )
