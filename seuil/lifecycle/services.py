"""The daily job: accounts live as long as the attachment, are warned before they close, and lose
their personal data a year after. Everything here is idempotent; see docs/lifecycle.md."""

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from seuil.accounts.models import Account, AccountChange, AccountQuerySet, SignOn, What
from seuil.accounts.states import CLOSED, Substate
from seuil.activation.models import Sesame
from seuil.audit.models import Action, AuditEvent, Outcome
from seuil.lifecycle.mails import closing_soon, grace_started
from seuil.mailer.kinds import Kind
from seuil.mailer.models import OutgoingMail
from seuil.security import throttle

CHUNK = 2000
REMIND_DAYS = 7  # the second reminder goes this many days before the account closes


@dataclass
class Summary:
    transitions: Counter[str] = field(default_factory=Counter)
    reminders: int = 0
    revoked: int = 0
    purged: int = 0
    counters: int = 0

    def __str__(self) -> str:
        moves = ", ".join(f"{state} {count}" for state, count in sorted(self.transitions.items()))
        return _(
            "%(transitions)d transition(s)%(moves)s, %(reminders)d rappel(s), %(revoked)d "
            "Sésame(s) révoqué(s), %(purged)d purgé(s), %(counters)d compteur(s) périmé(s) "
            "supprimé(s)"
        ) % {
            "transitions": sum(self.transitions.values()),
            "moves": f" ({moves})" if moves else "",
            "reminders": self.reminders,
            "revoked": self.revoked,
            "purged": self.purged,
            "counters": self.counters,
        }


def run(*, today: date, progress: Callable[[int], None] | None = None) -> Summary:
    summary = Summary()
    for account in (
        Account.objects.due_purge(today).select_related("person").iterator(chunk_size=CHUNK)
    ):
        account.person.purge()
        AuditEvent.record(
            Action.STATE_CHANGED, account=account, actor="lifecycle", to=Substate.SUPPR_DONNEES
        )
        summary.purged += 1
    record_transitions(today=today, progress=progress, summary=summary)
    summary.reminders += _remind_closing(today)
    summary.counters = throttle.purge_stale()
    SignOn.objects.forget_past(timezone.now())  # sessions past their lifetime are gone already
    return summary


def record_transitions(
    *, today: date, progress: Callable[[int], None] | None = None, summary: Summary | None = None
) -> Summary:
    """Record the states accounts have reached by their dates, with what each transition does
    (an expiry revokes the Sésames, a grace mails its notice). The nightly job runs it, and so
    does `sync_directory`, every minute: an account that expires at midnight then loses its
    directory password within minutes, not at the next nightly run."""
    summary = summary or Summary()
    done = 0
    for chunk in _chunks(Account.objects.due_transitions(today).select_related("person")):
        with AccountChange.objects.recording(What.STATE):  # one change row per account
            _transition(chunk, today, summary)
        done += len(chunk)
        if progress:
            progress(done)
    return summary


def _transition(accounts: list[Account], today: date, summary: Summary) -> None:
    changes = [(a, a.state_on(today)) for a in accounts]
    changes = [(a, state) for a, state in changes if state != a.state]  # Python has the last word
    before = {a.pk: a.state for a, _state in changes}
    Account.objects.record_states(changes)
    AuditEvent.objects.bulk_create(
        AuditEvent(
            action=Action.STATE_CHANGED,
            outcome=Outcome.SUCCESS,
            actor="lifecycle",
            account=a,
            detail={"from": before[a.pk], "to": state},
        )
        for a, state in changes
    )
    summary.transitions.update(state for _a, state in changes)
    expired = [a.pk for a, state in changes if state == Substate.EXPIRE]
    closed = [a.pk for a, state in changes if state in CLOSED]
    SignOn.objects.filter(account__in=closed).end(why="expiry")
    summary.revoked += (
        Sesame.objects.live().filter(account__in=expired).update(revoked_at=timezone.now())
    )
    in_grace = [a for a, state in changes if state == Substate.SURSIS and before[a.pk] != ""]
    OutgoingMail.enqueue_many([_reminder(a, grace_started) for a in in_grace if _address(a)])
    summary.reminders += sum(1 for a in in_grace if _address(a))


def _remind_closing(today: date) -> int:
    """Accounts closing within a week, not yet reminded of that date (a missed day catches up)."""
    sent = 0
    for days in range(1, REMIND_DAYS + 1):
        closing = today + timedelta(days=days)
        reminded = OutgoingMail.objects.filter(
            kind=closing_soon.name, context__closes=closing.isoformat()
        )
        due = (
            Account.objects.in_grace_closing_on(closing)
            .exclude(pk__in=reminded.values("account_id"))
            .select_related("person")
        )
        mails = [_reminder(a, closing_soon) for a in due if _address(a)]
        OutgoingMail.enqueue_many(mails)
        sent += len(mails)
    return sent


def _address(account: Account) -> str:
    person = getattr(account, "person", None)
    return account.recovery_email or (person.personal_email if person else "")


def _reminder(account: Account, kind: Kind) -> OutgoingMail:
    closes = account.closes_on()
    return OutgoingMail(
        kind=kind.name,
        to=_address(account),
        account=account,
        context={"closes": closes.isoformat() if closes else ""},
    )


def _chunks(accounts: AccountQuerySet) -> Iterator[list[Account]]:
    batch: list[Account] = []
    for account in accounts.iterator(chunk_size=CHUNK):
        batch.append(account)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch
