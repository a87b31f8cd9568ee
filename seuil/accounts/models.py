from datetime import date, timedelta
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, check_password
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core import signing
from django.db import NotSupportedError, models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from seuil.accounts.passwords import Context, personal_words
from seuil.accounts.states import LETTER, OPEN, Substate


class Resource(models.TextChoices):
    COMPTE = "COMPTE", _("compte")
    MAIL = "MAIL", _("messagerie")


LOCKED_MESSAGE = _(
    "Votre compte est verrouillé par l'administration. Contactez la DRH (personnels) ou la "
    "scolarité (étudiants)."
)
CLOSED_MESSAGE = _(
    "Votre compte est fermé : votre rattachement à l'établissement a pris fin. Pour le rouvrir, "
    "contactez la DRH (personnels) ou la scolarité (étudiants)."
)
CONFIRMATION_SALT = "seuil.accounts.confirm-email"
CONFIRMATION_AGE = timedelta(hours=24)


class AccountQuerySet(models.QuerySet["Account"]):
    def delete(self) -> tuple[int, dict[str, int]]:
        raise NotSupportedError("accounts are tombstones: a login or address is never freed")

    @sensitive_variables("password")
    def authenticate(self, login: str, password: str) -> "Account | None":
        """The account if the password is its own. Whether the login is unknown, the account not
        yet activated or the password wrong, the same one Argon2 computation is spent."""
        account = self.select_related("person").filter(login=login.strip().lower()).first()
        if account is None:
            check_password(password, UNUSABLE_PASSWORD_PREFIX)  # hashes a decoy, as Django does
            return None
        return account if account.check_password(password) else None

    def taken_names(self) -> tuple[set[str], set[str]]:
        """Every login and address ever given; accounts are never deleted, so this is history."""
        logins: set[str] = set()
        mails: set[str] = set()
        for login, mail in self.values_list("login", "mail").iterator(chunk_size=20_000):
            logins.add(login)
            if mail:
                mails.add(mail)
        return logins, mails


class AccountManager(BaseUserManager["Account"]):
    def get_queryset(self) -> AccountQuerySet:
        return AccountQuerySet(self.model, using=self._db)

    def taken_names(self) -> tuple[set[str], set[str]]:
        return self.get_queryset().taken_names()

    def authenticate(self, login: str, password: str) -> "Account | None":
        return self.get_queryset().authenticate(login, password)

    def get_by_natural_key(self, username: str | None) -> "Account":
        return self.get(login=(username or "").strip().lower())

    def create_superuser(self, login: str, password: str | None, **extra: Any) -> "Account":
        """An operator account (HR, IT), created by `seuil createsuperuser`."""
        account = self.model(login=login.strip().lower(), is_staff=True, is_superuser=True, **extra)
        account.set_password(password)
        account.save(using=self._db)
        return account


class Account(AbstractBaseUser, PermissionsMixin):
    """A login on the ENT. People get one at registration; operators have one without a person."""

    login = models.CharField(_("identifiant"), max_length=32, unique=True)
    mail = models.EmailField(_("adresse institutionnelle"), unique=True, null=True, blank=True)
    is_staff = models.BooleanField(_("opérateur"), default=False)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now, editable=False)
    activated_at = models.DateTimeField(_("activé le"), null=True, blank=True, editable=False)
    recovery_email = models.EmailField(_("mail personnel (confirmé)"), blank=True)
    pending_email = models.EmailField(_("mail personnel à confirmer"), blank=True)
    secret_question = models.CharField(_("question secrète"), max_length=200, blank=True)
    secret_answer = models.CharField(_("réponse (empreinte)"), max_length=128, blank=True)
    locked_at = models.DateTimeField(_("verrouillé le"), null=True, blank=True, editable=False)
    lock_reason = models.CharField(_("motif du verrouillage"), max_length=200, blank=True)
    purged_at = models.DateTimeField(
        _("données supprimées le"), null=True, blank=True, editable=False
    )

    objects: ClassVar[AccountManager] = AccountManager()

    USERNAME_FIELD = "login"
    EMAIL_FIELD = "mail"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("compte")
        verbose_name_plural = _("comptes")

    def __str__(self) -> str:
        return self.login

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise NotSupportedError("accounts are tombstones: a login or address is never freed")

    @classmethod
    def normalize_username(cls, username: str) -> str:
        return super().normalize_username(username).strip().lower()

    def email_token(self) -> str:
        """A link's token confirming the pending address; valid CONFIRMATION_AGE, bound to it."""
        return signing.dumps([self.pk, self.pending_email], salt=CONFIRMATION_SALT)

    @classmethod
    def confirm_email(cls, token: str) -> "Account | None":
        """The account whose pending address the token confirms, now confirmed; else None."""
        try:
            pk, email = signing.loads(token, salt=CONFIRMATION_SALT, max_age=CONFIRMATION_AGE)
        except (signing.BadSignature, ValueError, TypeError):
            return None
        account = cls.objects.filter(pk=pk, pending_email=email).first()
        if account and email:
            account.recovery_email, account.pending_email = email, ""
            account.save(update_fields=["recovery_email", "pending_email"])
        return account

    def state_on(self, today: date | None = None) -> Substate:
        """The SupAnn sub-state of {COMPTE} on a day (docs/lifecycle.md gives the rules)."""
        today = today or timezone.localdate()
        person = getattr(self, "person", None)
        if self.purged_at:
            return Substate.SUPPR_DONNEES
        if self.locked_at:
            return Substate.VERROU_ADMIN
        if person is None:  # an operator: no attachment, no dates
            return Substate.ACTIF
        closes = self.closes_on()
        if closes and today > closes:
            return Substate.EXPIRE
        if not self.activated_at:
            opens = person.start_date - timedelta(days=settings.SEUIL_EARLY_DAYS)
            return Substate.PRECREE if today < opens else Substate.CREE
        if person.end_date and today > person.end_date:
            return Substate.SURSIS
        return Substate.ANTICIPE if today < person.start_date else Substate.ACTIF

    def supann_state(self) -> str:
        return self.state_on().value

    def supann_letter(self) -> str:
        return LETTER[self.state_on()]

    def closes_on(self) -> date | None:
        """The last day of the grace that follows the end of the attachment."""
        person = getattr(self, "person", None)
        end: date | None = person.end_date if person else None
        return end + timedelta(days=settings.SEUIL_GRACE_DAYS) if end else None

    def password_context(self) -> "Context":
        """What this account's password must not resemble: its login and its person's names."""
        person = getattr(self, "person", None)
        names = (person.first_name, person.last_name, person.birth_name) if person else ()
        return Context(login=self.login, words=personal_words(*names))

    def closed_message(self) -> str:
        """Why a right password does not open this account; shown only after the right password."""
        locked = self.state_on() == Substate.VERROU_ADMIN
        return str(LOCKED_MESSAGE if locked else CLOSED_MESSAGE)

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        """Django ends the sessions of an inactive account at its next request: this is what
        closes an expired or locked account's open sessions at once."""
        return self.state_on() in OPEN

    def activate(self, *, password_hash: str, email: str, question: str, answer_hash: str) -> bool:
        """Take possession of the account with a new password and recovery contact; return
        whether it was already active (the password is then replaced)."""
        now = timezone.now()
        replaced = self.activated_at is not None
        self.password = password_hash
        if email:
            # An address confirmed before stays confirmed; any other waits for its link.
            self.pending_email = "" if email == self.recovery_email else email
            self.recovery_email = email if email == self.recovery_email else ""
            self.secret_question = self.secret_answer = ""
        else:
            self.recovery_email = self.pending_email = ""
            self.secret_question, self.secret_answer = question, answer_hash
        if not replaced:
            self.activated_at = now
            for resource in (Resource.COMPTE, Resource.MAIL):
                StateChange.objects.create(
                    account=self,
                    resource=resource,
                    state="A",
                    substate="SupannActif",
                    start=now.date(),
                )
        self.save()
        return replaced


class StateChange(models.Model):
    """The history of a resource's state, as SupAnn's supannRessourceEtatDate writes it.

    The latest row of each resource is its current state; the directory provisioning reads the
    {MAIL} rows to create mailboxes.
    """

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="states")
    resource = models.CharField(_("ressource"), max_length=8, choices=Resource.choices)
    state = models.CharField(_("état"), max_length=1)
    substate = models.CharField(_("sous-état"), max_length=32)
    start = models.DateField(_("début"))
    end = models.DateField(_("fin"), null=True, blank=True)
    recorded_at = models.DateTimeField(_("enregistré le"), default=timezone.now)

    class Meta:
        verbose_name = _("changement d'état")
        verbose_name_plural = _("historique des états")
        ordering = ["-recorded_at", "-pk"]

    def __str__(self) -> str:
        return self.supann

    @property
    def supann(self) -> str:
        """{COMPTE}A:SupannActif:20260901: — end left empty when open."""
        end = f"{self.end:%Y%m%d}" if self.end else ""
        return f"{{{self.resource}}}{self.state}:{self.substate}:{self.start:%Y%m%d}:{end}"
