import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar, TypeVar

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from seuil.accounts.models import Account, AccountChange, What
from seuil.accounts.models.change import Published, PublishedQuerySet
from seuil.audit.models import Action, AuditEvent
from seuil.core import bulk
from seuil.people import naming

# The fields a feed owns: a re-import may change them, never the login or the address.
FEED_FIELDS = (
    "status",
    "civility",
    "first_name",
    "last_name",
    "birth_name",
    "birth_date",
    "start_date",
    "end_date",
    "personal_email",
)
# What the outside world sees of a person (the directory entry, the SSO claims).
PERSON_FIELDS = dict.fromkeys(("external_id", *FEED_FIELDS), What.NAMES)
_NAMING_LOCK = 0x5E0111  # pg_advisory_xact_lock key: one allocation of names at a time
_ATTEMPTS = 5
Progress = Callable[[int, int], None]
T = TypeVar("T")


class Status(models.TextChoices):
    ETUDIANT = "etudiant", _("étudiant")
    ADMINISTRATIF = "administratif", _("administratif")
    ENSEIGNANT = "enseignant", _("enseignant")
    ENSEIGNANT_CHERCHEUR = "enseignant-chercheur", _("enseignant-chercheur")


class Civility(models.TextChoices):
    M = "M.", "M."
    MME = "Mme", "Mme"


@dataclass
class ImportResult:
    created: list["Person"] = field(default_factory=list)
    updated: list[tuple["Person", list[str]]] = field(default_factory=list)
    unchanged: int = 0


def _lock_naming() -> None:
    """Serialise name allocation. SQLite's IMMEDIATE transactions already serialise writers."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_NAMING_LOCK])


def _taken_names() -> tuple[naming.Taken, naming.Taken]:
    logins, mails = Account.objects.taken_names()
    reserved = naming.RESERVED_LOGINS | frozenset(settings.SEUIL_RESERVED_NAMES)
    return naming.Taken(logins, reserved, settings.SEUIL_LOGIN_MAX_LENGTH), naming.Taken(mails)


@functools.cache
def _new_account() -> Callable[[str, str, datetime], Account]:
    """Account(login=…, mail=…, created_at=…) with no usable password, built positionally: a
    feed makes 100,000 of them."""
    return bulk.builder(Account, "login", "mail", "created_at", password=UNUSABLE_PASSWORD_PREFIX)


def _retrying_on_conflict(allocate: Callable[[], T]) -> T:
    """The unique constraints are the guarantee; a writer that skipped the lock costs a retry."""
    for attempt in range(_ATTEMPTS):
        try:
            with transaction.atomic():
                _lock_naming()
                return allocate()
        except IntegrityError:
            if attempt == _ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _registered(account: Account, actor: str) -> AuditEvent:
    return AuditEvent(action=Action.REGISTERED, outcome="success", actor=actor, account=account)


def _changed(person: "Person", fields: list[str], actor: str) -> AuditEvent:
    return AuditEvent(
        action=Action.PERSON_CHANGED,
        outcome="success",
        actor=actor,
        account_id=person.account_id,
        detail={"fields": fields},
    )


class PersonQuerySet(PublishedQuerySet["Person"]):
    def import_rows(
        self,
        rows: list["Person"],
        *,
        dry_run: bool = False,
        progress: Progress | None = None,
        actor: str = "import",
    ) -> ImportResult:
        """Upsert by (staff or student, external id), in file order; names only for newcomers."""

        def plan_and_write() -> ImportResult:
            result, accounts = self._plan(rows, progress)
            if dry_run:
                for person, account in zip(result.created, accounts, strict=True):
                    person.account = account
            else:
                if accounts:
                    bulk.insert(accounts)
                    # One allocation at a time (the naming lock): this timestamp is this import's.
                    stamp = accounts[0].created_at
                    ids = dict(Account.objects.filter(created_at=stamp).values_list("login", "pk"))
                    # Each person gets its account once it has its key: assigning an unsaved one
                    # first, then again, cost 0.7 s of a 100,000-person import.
                    for person, account in zip(result.created, accounts, strict=True):
                        account.pk = ids[account.login]
                        person.account = account
                    bulk.insert(result.created)
                    AccountChange.objects.record(
                        [account.pk for account in accounts], what=What.REGISTER
                    )
                changed = [person for person, _fields in result.updated]
                self.bulk_update(changed, [*FEED_FIELDS, "updated_at"], batch_size=2000)
                returning = [p.account_id for p, fields in result.updated if "end_date" in fields]
                Account.objects.filter(pk__in=returning).reopen_attached(timezone.localdate())
                AuditEvent.objects.bulk_create(
                    [_changed(p, fields, actor) for p, fields in result.updated], batch_size=2000
                )
                if accounts:  # one event for a feed's registrations, which may be 100,000
                    logins = [account.login for account in accounts]
                    AuditEvent.record(
                        Action.REGISTERED, actor=actor, count=len(logins), logins=logins
                    )
                if len(accounts) >= bulk.REFRESH_AFTER:  # the first sign-ins' plans, right
                    transaction.on_commit(
                        functools.partial(bulk.refresh_statistics, Account, Person, using=self.db)
                    )
            return result

        return _retrying_on_conflict(plan_and_write)

    def _plan(
        self, rows: list["Person"], progress: Progress | None
    ) -> tuple[ImportResult, list[Account]]:
        """What the feed changes, and the accounts of its newcomers (result.created's order)."""
        existing = {(p.is_student, p.external_id): p for p in self._matching(rows)}
        logins, mails = _taken_names()
        result, accounts = ImportResult(), []
        now = timezone.now()
        for done, row in enumerate(rows, start=1):
            current = existing.get((row.is_student, row.external_id))
            if current is None:
                accounts.append(row.allocate_account(logins, mails, now))
                row.created_at = row.updated_at = now
                result.created.append(row)
            elif changed := current.update_from(row):
                current.updated_at = now
                result.updated.append((current, changed))
            else:
                result.unchanged += 1
            if progress and done % 10_000 == 0:
                progress(done, len(rows))
        return result, accounts

    def _matching(self, rows: list["Person"]) -> Iterable["Person"]:
        if not self.exists():  # the first feed: 20 queries of 5,000 numbers would find nobody
            return
        ids = sorted({row.external_id for row in rows})
        for start in range(0, len(ids), 5000):
            yield from self.filter(external_id__in=ids[start : start + 5000])


class Person(Published, models.Model):
    """Someone registered by HR or the scolarité, with the account the university gives them.

    Like the account's, its saves and bulk writes record what the outside world sees change;
    a new person is recorded as its account's registration.
    """

    PUBLISHED = PERSON_FIELDS
    ACCOUNT_ID = "account_id"
    RECORD_INSERTS = False

    account = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="person", editable=False
    )
    status = models.CharField(_("statut"), max_length=24, choices=Status.choices)
    external_id = models.CharField(
        _("numéro"), max_length=32, help_text=_("Numéro RH (personnels) ou numéro d'étudiant.")
    )
    civility = models.CharField(_("civilité"), max_length=3, choices=Civility.choices, blank=True)
    first_name = models.CharField(_("prénom usuel"), max_length=100)
    last_name = models.CharField(_("nom d'usage"), max_length=100)
    birth_name = models.CharField(_("nom de naissance"), max_length=100, blank=True)
    birth_date = models.DateField(_("date de naissance"))
    start_date = models.DateField(_("début du rattachement"))
    end_date = models.DateField(_("fin du rattachement"), null=True, blank=True)
    personal_email = models.EmailField(_("mail personnel (flux)"), blank=True)
    created_at = models.DateTimeField(_("enregistré le"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("mis à jour le"), default=timezone.now, editable=False)

    objects: ClassVar[PersonQuerySet] = PersonQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("personne")
        verbose_name_plural = _("personnes")
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"],
                condition=Q(status="etudiant"),
                name="person_unique_student_number",
                violation_error_message=_("Ce numéro d'étudiant est déjà enregistré."),
            ),
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~Q(status="etudiant"),
                name="person_unique_staff_number",
                violation_error_message=_("Ce numéro RH est déjà enregistré."),
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="person_end_after_start",
                violation_error_message=_("La fin du rattachement précède son début."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def is_student(self) -> bool:
        return self.status == Status.ETUDIANT

    @property
    def mail_domain(self) -> str:
        return settings.SEUIL_STUDENT_MAIL_DOMAIN if self.is_student else settings.SEUIL_MAIL_DOMAIN

    def allocate_account(
        self, logins: naming.Taken, mails: naming.Taken, now: datetime | None = None
    ) -> Account:
        """The first free login and address for this person; both are taken from now on."""
        base = naming.login_base(self.first_name, self.last_name, self.birth_name)
        login = logins.claim(naming.login_candidates(base, logins.max_length))
        local = naming.mail_local(self.first_name, self.last_name)
        mail = mails.claim(naming.mail_candidates(local, self.mail_domain))
        return _new_account()(login, mail, now or timezone.now())

    def register(self, *, actor: str = "import") -> None:
        """Save a newcomer with a login and an address that nobody ever had."""

        def allocate() -> None:
            logins, mails = _taken_names()
            self.account = self.allocate_account(logins, mails)
            self.account.save()
            self.save()
            _registered(self.account, actor).save()

        _retrying_on_conflict(allocate)

    def purge(self) -> None:
        """Forget the personal data of the person and of their account, in one change."""
        with AccountChange.objects.recording(What.PURGE):
            self.account.purge()
            self.personal_email = ""
            self.save(update_fields=["personal_email"])

    def update_from(self, row: "Person") -> list[str]:
        """Take the feed's values; return the names of the fields that changed."""
        changed = [name for name in FEED_FIELDS if getattr(self, name) != getattr(row, name)]
        for name in changed:
            setattr(self, name, getattr(row, name))
        return changed
