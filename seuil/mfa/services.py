"""Operations on second factors: checks under the sign-in lockout, enrolment, removal and IT's
reset. Each change is audited and announced in the transaction that makes it."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.views.decorators.debug import sensitive_variables

from seuil.accounts.models import Account
from seuil.audit.models import Action, AuditEvent
from seuil.mailer.models import OutgoingMail
from seuil.mfa import mails
from seuil.mfa.models import Passkey, RecoveryCode, TotpDevice
from seuil.security import throttle


def notify(account: Account, event: str, *, everywhere: bool = False, **context: str) -> None:
    """The owner's confirmed personal address hears of it; for a reset, the university address
    too (whoever asked for the reset may have lost one of them)."""
    addresses = {account.recovery_email} | ({account.mail} if everywhere else set())
    for address in sorted(a for a in addresses if a):
        OutgoingMail.enqueue(mails.notice, to=address, account=account, event=event, **context)


@sensitive_variables("code")
def check_totp(*, account: Account, code: str, ip: str) -> bool:
    """A TOTP code at sign-in or step-up. It counts in the password's lockout (per account and
    network, counted before it is checked), and is spent atomically: replayed, it is refused.
    A failure is audited by the lockout; the caller audits a success (the session it opens)."""

    def check() -> bool | None:
        return True if TotpDevice.objects.spend(account, code) else None

    return throttle.attempt(account.login, check, action=Action.MFA_TOTP, ip=ip) is not None


@sensitive_variables("code")
def check_recovery_code(*, account: Account, code: str, ip: str) -> bool:
    """A recovery code, once, under the same lockout."""

    def check() -> bool | None:
        return True if RecoveryCode.objects.spend(account, code) else None

    ok = throttle.attempt(account.login, check, action=Action.MFA_RECOVERY, ip=ip) is not None
    if ok:
        left = RecoveryCode.objects.unused().filter(account=account).count()
        AuditEvent.record(Action.MFA_RECOVERY, account=account, ip=ip, left=left)
    return ok


@sensitive_variables("code")
def confirm_totp(*, account: Account, code: str, ip: str) -> bool:
    """The first code of a new TOTP application: it counts only from now. Wrong first codes count
    in the lockout too, so that enrolment is no oracle for the key."""
    device = TotpDevice.objects.filter(account=account, confirmed_at__isnull=True).first()

    def check() -> bool | None:
        return True if device is not None and device.spend(code) else None

    with transaction.atomic():
        if throttle.attempt(account.login, check, action=Action.MFA_TOTP, ip=ip) is None:
            return False
        AuditEvent.record(Action.MFA_ADDED, account=account, ip=ip, factor="totp")
        notify(account, "totp-added")
    return True


def remove_totp(*, account: Account, ip: str) -> None:
    with transaction.atomic():
        if TotpDevice.objects.filter(account=account).delete()[0]:
            AuditEvent.record(Action.MFA_REMOVED, account=account, ip=ip, factor="totp")
            notify(account, "totp-removed")
        _drop_orphan_codes(account)


def renew_codes(*, account: Account, ip: str) -> list[str]:
    with transaction.atomic():
        codes = RecoveryCode.objects.renew(account)
        AuditEvent.record(Action.MFA_CODES_RENEWED, account=account, ip=ip)
        notify(account, "codes-renewed")
    return codes


def add_passkey(*, account: Account, passkey: Passkey, ip: str) -> None:
    with transaction.atomic():
        passkey.account = account
        passkey.save()
        AuditEvent.record(
            Action.MFA_ADDED, account=account, ip=ip, factor="passkey", name=passkey.name
        )
        notify(account, "passkey-added", name=passkey.name)


def remove_passkey(*, account: Account, passkey_id: int, ip: str) -> bool:
    with transaction.atomic():
        passkey = Passkey.objects.filter(account=account, pk=passkey_id).first()
        if passkey is None:
            return False
        passkey.delete()
        AuditEvent.record(
            Action.MFA_REMOVED, account=account, ip=ip, factor="passkey", name=passkey.name
        )
        notify(account, "passkey-removed", name=passkey.name)
        _drop_orphan_codes(account)
    return True


def _drop_orphan_codes(account: Account) -> None:
    """Recovery codes stand in for a factor: with none left, they would be a factor alone."""
    has_any = (
        Passkey.objects.filter(account=account).exists()
        or TotpDevice.objects.confirmed().filter(account=account).exists()
    )
    if not has_any:
        RecoveryCode.objects.filter(account=account).delete()


class ResetRefused(PermissionDenied):
    """Only IT resets factors, and an operator's only another operator."""


def may_reset(*, operator: Account | None, account: Account) -> bool:
    """IT (superusers) may; HR never. An operator's factors are reset only by another operator
    (nobody resets their own, which would be a way around the factor). None is the command
    line, which needs shell access on the server."""
    if operator is None:
        return True
    if not operator.is_superuser:
        return False
    return not (account.has_operator_rights() and operator.pk == account.pk)


def reset_factors(*, account: Account, operator: Account | None, reason: str, ip: str) -> int:
    """Remove every second factor of the account (a person who lost them all): audited with the
    reason, and announced to both of the person's addresses. Returns how many were removed."""
    if not may_reset(operator=operator, account=account):
        raise ResetRefused(f"{operator} may not reset the factors of {account.login}")
    if not reason.strip():
        raise ValueError("a reason is required")
    with transaction.atomic():
        removed = (
            Passkey.objects.filter(account=account).delete()[0]
            + TotpDevice.objects.filter(account=account).delete()[0]
        )
        RecoveryCode.objects.filter(account=account).delete()
        AuditEvent.record(
            Action.MFA_RESET,
            account=account,
            actor=operator.login if operator else "commande",
            ip=ip,
            reason=reason.strip()[:200],
            removed=removed,
        )
        notify(account, "factors-reset", everywhere=True)
    return removed
