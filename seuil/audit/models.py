from typing import Any, ClassVar

from django.conf import settings
from django.db import NotSupportedError, models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    REGISTERED = "registered", _("enregistrement")
    PERSON_CHANGED = "person-changed", _("fiche modifiée")
    SESAME_ISSUED = "sesame-issued", _("Sésame émis")
    SESAME_REVOKED = "sesame-revoked", _("Sésame révoqué")
    ACTIVATION = "activation", _("activation")
    SIGN_IN = "sign-in", _("connexion")
    SIGN_OUT = "sign-out", _("déconnexion")
    PASSWORD_CHANGED = "password-changed", _("mot de passe changé")
    RESET_REQUESTED = "reset-requested", _("lien de réinitialisation demandé")
    PASSWORD_RESET = "password-reset", _("mot de passe réinitialisé")
    SECRET_ANSWER = "secret-answer", _("réponse à la question secrète")
    RECOVERY_CHANGED = "recovery-changed", _("informations de récupération modifiées")
    STATE_CHANGED = "state-changed", _("changement d'état du compte")
    LOCKED = "locked", _("verrouillage par l'administration")
    STUDENT_CODE = "student-code", _("code de Validation Étudiant")
    EMAIL_CONFIRMED = "email-confirmed", _("mail personnel confirmé")
    LOCKOUT = "lockout", _("verrouillage après échecs")
    UNLOCKED = "unlocked", _("déverrouillage par un opérateur")
    SELF_UNLOCKED = "self-unlocked", _("déverrouillage par le lien envoyé au titulaire")
    SAML_RELEASE = "saml-release", _("attributs transmis à un service SAML")
    SAML_LOGOUT = "saml-logout", _("déconnexion transmise à un service SAML")
    MFA_TOTP = "mfa-totp", _("code d'application d'authentification")
    MFA_RECOVERY = "mfa-recovery-code", _("code de secours")
    MFA_PASSKEY = "mfa-passkey", _("clé d'accès")
    MFA_ADDED = "mfa-added", _("second facteur ajouté")
    MFA_REMOVED = "mfa-removed", _("second facteur retiré")
    MFA_CODES_RENEWED = "mfa-codes-renewed", _("codes de secours renouvelés")
    MFA_RESET = "mfa-reset", _("seconds facteurs réinitialisés par l'informatique")


class Outcome(models.TextChoices):
    SUCCESS = "success", _("succès")
    FAILURE = "failure", _("échec")
    LOCKED = "locked", _("verrouillé")


class AuditQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise NotSupportedError("the audit log is append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise NotSupportedError("the audit log is append-only")


class AuditEvent(models.Model):
    """One security event. Append-only; never holds a secret."""

    at = models.DateTimeField(_("date (UTC)"), default=timezone.now, db_index=True)
    action = models.CharField(_("action"), max_length=32, choices=Action.choices)
    outcome = models.CharField(_("résultat"), max_length=16, choices=Outcome.choices)
    actor = models.CharField(_("acteur"), max_length=64, help_text=_("qui a agi"))
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("compte"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_events",
    )
    ip = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)
    detail = models.JSONField(_("détail"), default=dict, blank=True)

    objects: ClassVar[AuditQuerySet] = AuditQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("événement d'audit")
        verbose_name_plural = _("journal d'audit")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.outcome} {self.actor}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise NotSupportedError("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise NotSupportedError("the audit log is append-only")

    @classmethod
    def record(
        cls,
        action: str,
        *,
        outcome: str = Outcome.SUCCESS,
        account: Any = None,
        actor: str = "",
        ip: str = "",
        **detail: Any,
    ) -> "AuditEvent":
        """Record an event; the actor defaults to the account's login."""
        event = cls.new(action, outcome=outcome, account=account, actor=actor, ip=ip, **detail)
        event.save(force_insert=True)
        return event

    @classmethod
    def new(
        cls,
        action: str,
        *,
        outcome: str = Outcome.SUCCESS,
        account: Any = None,
        actor: str = "",
        ip: str = "",
        **detail: Any,
    ) -> "AuditEvent":
        """The event `record` would record, unsaved: for a caller that writes it together with
        other rows, in one statement (seuil.accounts.models.SignOn's open)."""
        return cls(
            action=action,
            outcome=outcome,
            account=account,
            actor=actor or (account.login if account else "anonyme"),
            ip=ip or None,
            detail=detail,
        )
