from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import NotSupportedError, models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AccountQuerySet(models.QuerySet["Account"]):
    def delete(self) -> tuple[int, dict[str, int]]:
        raise NotSupportedError("accounts are tombstones: a login or address is never freed")

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

    def supann_state(self) -> str:
        """The SupAnn sub-state of {COMPTE}: not yet taken possession of, or active."""
        return "SupannActif" if self.activated_at else "SupannCree"
