from datetime import timedelta
from typing import Any, ClassVar

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, check_password, is_password_usable
from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db import NotSupportedError, models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from seuil.accounts.models.change import ACCOUNT_FIELDS, AccountChange, Published, What
from seuil.accounts.models.lifecycle import Lifecycle, LifecycleQuerySet
from seuil.accounts.passwords import Context, personal_words
from seuil.accounts.states import OPEN, Substate
from seuil.core.prepared import PreparedRead

CONFIRMATION_SALT = "seuil.accounts.confirm-email"


class OperatorAccountRefused(PermissionDenied):
    """HR acts on people's accounts only: an account with operator rights is IT's alone."""


CONFIRMATION_AGE = timedelta(hours=24)
RECOVERY_FIELDS = frozenset({"recovery_email", "pending_email", "secret_question", "secret_answer"})


# What an app above wants known of the account a password is checked for (seuil.mfa: whether it
# has a second factor), read in the SELECT that finds the account rather than one more query on
# every sign-in: an attribute name, and the expression that gives it.
SIGN_IN_FACTS: dict[str, Any] = {}


def read_with_sign_in(name: str, expression: Any) -> None:
    """Register a fact (an app above, in its AppConfig.ready()); twice is harmless."""
    SIGN_IN_FACTS[name] = expression


class AccountQuerySet(LifecycleQuerySet["Account"]):
    def delete(self) -> tuple[int, dict[str, int]]:
        raise NotSupportedError("accounts are tombstones: a login or address is never freed")

    def login_of(self, identifier: str) -> str:
        """The login an identifier names: itself, or the login whose institutional address was
        typed instead. The lockout then counts both spellings as one account."""
        key = identifier.strip().lower()
        if "@" not in key:
            return key
        return self.filter(mail=key).values_list("login", flat=True).first() or key

    @sensitive_variables("password")
    def authenticate(self, login: str, password: str) -> "Account | None":
        """The account if the password is its own. Whether the login is unknown, the account not
        yet activated or the password wrong, the same one Argon2 computation is spent."""
        account = SIGNING_IN.first(login.strip().lower(), using=self.db)
        if account is None:
            check_password(password, UNUSABLE_PASSWORD_PREFIX)  # hashes a decoy, as Django does
            return None
        return account if account.check_password(password) else None

    def get_by_natural_key(self, username: str | None) -> "Account":
        return self.get(login=(username or "").strip().lower())

    def create_superuser(self, login: str, password: str | None, **extra: Any) -> "Account":
        """An operator account (HR, IT), created by `seuil createsuperuser`."""
        account = self.model(login=login.strip().lower(), is_staff=True, is_superuser=True, **extra)
        account.set_password(password)
        account.save(using=self.db)
        return account

    def taken_names(self) -> tuple[set[str], set[str]]:
        """Every login and address ever given; accounts are never deleted, so this is history."""
        logins: set[str] = set()
        mails: set[str] = set()
        for login, mail in self.values_list("login", "mail").iterator(chunk_size=20_000):
            logins.add(login)
            if mail:
                mails.add(mail)
        return logins, mails


class Account(Published, Lifecycle, AbstractBaseUser, PermissionsMixin):
    """A login on the ENT. People get one at registration; operators have one without a person.

    Its saves and its QuerySet's bulk writes record the changes the outside world sees
    (AccountChange): this is the write path, see docs/architecture.md.
    """

    PUBLISHED = ACCOUNT_FIELDS
    ACCOUNT_ID = "pk"
    RECORD_INSERTS = True

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
    state = models.CharField(
        _("état enregistré"), max_length=32, choices=Substate.choices, blank=True, editable=False
    )
    state_since = models.DateField(_("depuis le"), null=True, blank=True, editable=False)

    objects: ClassVar[AccountQuerySet] = AccountQuerySet.as_manager()  # type: ignore[assignment]

    USERNAME_FIELD = "login"
    EMAIL_FIELD = "mail"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("compte")
        verbose_name_plural = _("comptes")
        permissions = [("lock_account", _("Peut verrouiller et déverrouiller un compte"))]

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
    def _confirmable(cls, token: str) -> "Account | None":
        try:
            pk, email = signing.loads(token, salt=CONFIRMATION_SALT, max_age=CONFIRMATION_AGE)
        except (signing.BadSignature, ValueError, TypeError):
            return None
        return cls.objects.filter(pk=pk, pending_email=email).exclude(pending_email="").first()

    @classmethod
    def address_to_confirm(cls, token: str) -> str:
        """The address a token would confirm, to show before the button; "" if it cannot."""
        account = cls._confirmable(token)
        return account.pending_email if account else ""

    @classmethod
    def confirm_email(cls, token: str) -> "Account | None":
        """The account whose pending address the token confirms, now confirmed; else None."""
        account = cls._confirmable(token)
        email = account.pending_email if account else ""
        if account and email:
            account.set_recovery(recovery_email=email, pending_email="")
        return account

    def password_context(self, sesame: str = "") -> "Context":
        """What this account's password must not resemble: its login, its person's names and,
        on the activation page, the Sésame typed."""
        person = getattr(self, "person", None)
        names = (person.first_name, person.last_name, person.birth_name) if person else ()
        return Context(login=self.login, words=personal_words(*names), sesame=sesame)

    def has_operator_rights(self) -> bool:
        """Staff, superuser, or holding any permission, directly or through a group."""
        if self.is_staff or self.is_superuser:
            return True
        return self.user_permissions.exists() or self.groups.exists()

    def refuse_unless_it(self, operator: "Account | None") -> None:
        """Raise unless `operator` may lock, unlock or issue a Sésame for this account. An
        account with operator rights is IT's (superusers') alone; None is the command line,
        which needs shell access."""
        if operator is not None and not operator.is_superuser and self.has_operator_rights():
            raise OperatorAccountRefused(f"{operator.login} may not act on {self.login}")

    def lock(self, reason: str, *, by: "Account | None" = None) -> None:
        self.refuse_unless_it(by)
        super().lock(reason)

    def unlock(self, *, by: "Account | None" = None) -> None:
        self.refuse_unless_it(by)
        super().unlock()

    @property
    def answer_void(self) -> bool:
        """A secret question whose answer was voided (too short to protect anything): the
        question path is closed until the person chooses another answer."""
        return bool(self.secret_question) and not is_password_usable(self.secret_answer)

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        """Django ends the sessions of an inactive account at its next request: this is what
        closes an expired or locked account's open sessions at once."""
        return self.state_on() in OPEN

    def activate(
        self, *, password_hash: str, email: str, question: str, answer_hash: str, proven: str = ""
    ) -> bool:
        """Take possession of the account with a new password and recovery contact; return
        whether it was already active (the password is then replaced). An address confirmed
        before, or `proven` just now (a student's code), is confirmed; any other waits for its
        link."""
        replaced = self.activated_at is not None
        with AccountChange.objects.recording(What.PASSWORD if replaced else What.ACTIVATE):
            self.password = password_hash
            if email:
                confirmed = email in {self.recovery_email, proven}
                self.recovery_email, self.pending_email = (email, "") if confirmed else ("", email)
                self.secret_question = self.secret_answer = ""
            else:
                self.recovery_email = self.pending_email = ""
                self.secret_question, self.secret_answer = question, answer_hash
            if not replaced:
                self.activated_at = timezone.now()
            self.save()
            if not replaced:  # the mailbox is created with the taking of possession
                self.record_state(self.state_on(), mailbox=True)
        return replaced

    def set_recovery(self, **fields: str) -> None:
        """Change the recovery contact: `recovery_email`, `pending_email`, `secret_question`,
        `secret_answer` (a hash). Only the confirmed address is published."""
        for name, value in fields.items():
            if name not in RECOVERY_FIELDS:
                raise TypeError(f"not a recovery field: {name}")
            setattr(self, name, value)
        self.save(update_fields=list(fields))

    def replace_password(self, password: str) -> None:
        """A new password (change or reset), hashed here."""
        self.set_password(password)
        self.save(update_fields=["password"])


def _signing_in(login: str) -> "models.QuerySet[Account]":
    # Not first(): its ORDER BY cost the compiler a tenth of a millisecond (#16); a login is
    # unique.
    return (
        Account.objects.select_related("person").annotate(**SIGN_IN_FACTS).filter(login=login)[:1]
    )


# The account a password is checked for, with its person and the facts the apps above asked for
# (SIGN_IN_FACTS, registered by their ready(), before any sign-in): every sign-in, its SQL
# compiled once per worker.
SIGNING_IN = PreparedRead(_signing_in, "seuil:prepared:login")
