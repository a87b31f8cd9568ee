"""The account's SupAnn state, derived from the person's dates, the activation, a lock, the purge.

The state is computed, not stored: an account past its grace cannot sign in even if the daily job
has not run yet. `state` keeps what the job last applied, so that it records each transition once.
"""

from datetime import date, timedelta
from typing import Any, Self, TypeVar

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from seuil.accounts.models.change import AccountChange, PublishedQuerySet, What
from seuil.accounts.models.history import Resource, StateChange
from seuil.accounts.models.signon import SignOn
from seuil.accounts.states import LETTER, Substate, early, grace, state_case, state_of

LOCKED_MESSAGE = _(
    "Votre compte est verrouillé par l'administration. Contactez la DRH (personnels) ou la "
    "scolarité (étudiants)."
)
CLOSED_MESSAGE = _(
    "Votre compte est fermé : votre rattachement à l'établissement a pris fin. Pour le rouvrir, "
    "contactez la DRH (personnels) ou la scolarité (étudiants)."
)


M = TypeVar("M", bound=models.Model)


class LifecycleQuerySet(PublishedQuerySet[M]):
    def with_computed_state(self, today: date) -> Self:
        """The state of Lifecycle.state_on, computed by the database for many accounts at once."""
        return self.annotate(computed_state=state_case(today))

    def record_states(self, changes: list[tuple[Any, Substate]], *, mailbox: bool = False) -> None:
        """Keep changes of state in the history, like supannRessourceEtatDate: {COMPTE}, and
        {MAIL} for accounts whose mailbox exists (or is created now, with `mailbox`)."""
        today = timezone.localdate()
        ids = [account.pk for account, _state in changes]
        history = StateChange.objects.filter(account_id__in=ids)
        with_mail = (
            set(ids)
            if mailbox
            else set(history.filter(resource=Resource.MAIL).values_list("account_id", flat=True))
        )
        history.filter(end__isnull=True).update(end=today)
        StateChange.objects.bulk_create(
            StateChange(
                account_id=account.pk,
                resource=resource,
                state=LETTER[state],
                substate=state,
                start=today,
            )
            for account, state in changes
            for resource in [Resource.COMPTE] + ([Resource.MAIL] if account.pk in with_mail else [])
        )
        for state in {state for _account, state in changes}:
            group = [account.pk for account, new in changes if new == state]
            # The ids are known: recorded as they are, not read back by PublishedQuerySet's
            # update (a SELECT more in every activation), in the same transaction.
            with transaction.atomic(using=self.db, savepoint=False):
                models.QuerySet.update(self.filter(pk__in=group), state=state, state_since=today)
                AccountChange.objects.record(group, what=What.STATE)
        for account, state in changes:
            account.state, account.state_since = state, today

    def due_transitions(self, today: date) -> Self:
        """People's accounts whose state changed since the daily job last recorded it."""
        return (
            self.filter(person__isnull=False)
            .with_computed_state(today)
            .exclude(computed_state=models.F("state"))
        )

    def due_purge(self, today: date) -> Self:
        """Expired accounts whose data has been kept SEUIL_RETENTION_DAYS after the expiry."""
        days = settings.SEUIL_GRACE_DAYS + settings.SEUIL_RETENTION_DAYS
        return self.filter(
            purged_at__isnull=True,
            locked_at__isnull=True,
            person__end_date__lt=today - timedelta(days=days),
        )

    def reopen_attached(self, today: date) -> int:
        """Purged accounts that a feed attaches again wait for a new activation."""
        cut = today - grace()
        attached = Q(person__end_date__isnull=True) | Q(person__end_date__gte=cut)
        return self.filter(attached, purged_at__isnull=False).update(purged_at=None)

    def in_grace_closing_on(self, closing: date) -> Self:
        """Accounts in grace whose last day is `closing`."""
        end = closing - grace()
        return self.filter(
            Q(activated_at__isnull=False),
            purged_at__isnull=True,
            locked_at__isnull=True,
            person__end_date=end,
        )


class Lifecycle:
    activated_at: Any
    locked_at: Any
    lock_reason: str
    purged_at: Any
    state: str
    state_since: Any
    pk: Any

    def state_on(self, today: date | None = None) -> Substate:
        """The SupAnn sub-state of {COMPTE} on a day (docs/lifecycle.md gives the rules)."""
        return state_of(self, today or timezone.localdate())

    def supann_state(self) -> str:
        return self.state_on().value

    def supann_letter(self) -> str:
        return LETTER[self.state_on()]

    def closes_on(self) -> date | None:
        """The last day of the grace that follows the end of the attachment."""
        person = getattr(self, "person", None)
        end: date | None = person.end_date if person else None
        return end + grace() if end else None

    def opens_on(self) -> date | None:
        """While pre-created, the first day activation is possible; None once it is."""
        if self.state_on() != Substate.PRECREE:
            return None
        person = getattr(self, "person", None)
        return person.start_date - early() if person else None

    def closed_message(self) -> str:
        """Why a right password does not open this account; shown only after the right password."""
        locked = self.state_on() == Substate.VERROU_ADMIN
        return str(LOCKED_MESSAGE if locked else CLOSED_MESSAGE)

    def record_state(self, state: Substate, *, mailbox: bool = False) -> bool:
        """Keep this account's change of state in the history; return whether there was one."""
        if state == self.state:
            return False
        type(self).objects.record_states([(self, state)], mailbox=mailbox)  # type: ignore[attr-defined]
        return True

    def lock(self, reason: str) -> None:
        """HR's administrative lock: every session of the account ends, everywhere."""
        with AccountChange.objects.recording(What.LOCK):
            self.locked_at, self.lock_reason = timezone.now(), reason
            self.save(update_fields=["locked_at", "lock_reason"])  # type: ignore[attr-defined]
            self.record_state(Substate.VERROU_ADMIN)
            SignOn.objects.filter(account_id=self.pk).end(why="lock")

    def unlock(self) -> None:
        with AccountChange.objects.recording(What.LOCK):
            self.locked_at, self.lock_reason = None, ""
            self.save(update_fields=["locked_at", "lock_reason"])  # type: ignore[attr-defined]
            self.record_state(self.state_on())

    def purge(self) -> None:
        """Forget the account's personal data; the login and the address stay, as tombstones.
        Person.purge() forgets the person's too. Any session left ends."""
        with AccountChange.objects.recording(What.PURGE):
            self.recovery_email = self.pending_email = ""
            self.secret_question = self.secret_answer = ""
            self.password = make_password(None)
            self.activated_at, self.purged_at = None, timezone.now()
            self.save()  # type: ignore[attr-defined]
            self.record_state(Substate.SUPPR_DONNEES)
            SignOn.objects.filter(account_id=self.pk).end(why="purge")

    def reopen(self) -> None:
        """A new attachment for a purged account: it waits for a new activation."""
        self.purged_at = None
        self.save(update_fields=["purged_at"])  # type: ignore[attr-defined] # a change of state
