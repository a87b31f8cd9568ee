"""Recovering a forgotten password, by the confirmed personal e-mail or the secret question.

Nothing here tells a stranger whether a login exists: every identifier gets the same answer, the
question path shows nothing that depends on the account (the person names their own question),
and a wrong question, a wrong answer and an unknown identifier fail alike, at the same cost."""

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import Q
from django.utils.crypto import constant_time_compare
from django.views.decorators.debug import sensitive_variables

from seuil.accounts.models import Account
from seuil.accounts.passwords import answer_matches
from seuil.audit.models import Action, AuditEvent, Outcome
from seuil.mailer.after_response import after_response
from seuil.mailer.models import OutgoingMail
from seuil.recovery.mails import reset_link
from seuil.security import budget, throttle

MAILS_PER_HOUR = 3  # to one account: nobody floods someone else's mailbox with links
ANSWERS_PER_DAY = 3  # wrong answers before the question path closes for 24 hours
HOUR, DAY = 3600, 24 * 3600


def find(identifier: str) -> Account | None:
    """The account named by its login or its institutional address."""
    key = identifier.strip().lower()
    return Account.objects.select_related("person").filter(Q(login=key) | Q(mail=key)).first()


def key_of(identifier: str, account: Account | None) -> str:
    """What the lockout and the question path count against: the login, or what was typed."""
    return account.login if account else identifier.strip().lower()[:150]


def send_reset_link(*, identifier: str, ip: str) -> None:
    """Mail a reset link if the account has a confirmed personal address; otherwise do nothing,
    visibly the same. Known or not, the request does the same work (one lookup, one count, one
    audit event: an unknown identifier is recorded as its keyed hash), and the message is queued,
    built and sent after the response (mailer.after_response)."""
    account = find(identifier)
    eligible = account if account and account.recovery_email and account.is_active else None
    # Spent before the answer, atomically, known or not: a count of queued rows let a burst of
    # concurrent requests, each seeing none queued yet, send more than the cap.
    within = budget.spend(f"reset-mail:{key_of(identifier, account)}", limit=MAILS_PER_HOUR,
                          seconds=HOUR)  # fmt: skip
    sending = eligible is not None and within
    AuditEvent.record(
        Action.RESET_REQUESTED,
        outcome=Outcome.SUCCESS if sending else Outcome.FAILURE,
        account=eligible,
        actor=account.login if account else throttle.hashed_actor(identifier),
        ip=ip,
    )
    if sending and eligible:
        # Queued after the response too: an outbox row written only for a known account was the
        # last difference in work between a known and an unknown identifier. A worker that dies
        # in between loses the link, which the person asks for again; nothing else depends on it.
        address = eligible.recovery_email
        after_response(lambda: OutgoingMail.enqueue(reset_link, to=address, account=eligible))


def path_closed(identifier: str) -> bool:
    """Whether three wrong answers were given for this identifier, as typed, in 24 hours. What the
    page says depends only on the text typed, so it tells nothing about an account or about
    which login goes with which address; the account's own budget is enforced silently."""
    return budget.spent(f"answers:{normalised(identifier)}", limit=ANSWERS_PER_DAY)


def normalised(identifier: str) -> str:
    return identifier.strip().lower()


@sensitive_variables("answer")
def check_answer(*, identifier: str, question: str, answer: str, ip: str) -> Account | None:
    """The account if the answer is its own, under the lockout and the three-answers budget,
    both counted before the answer is checked; one Argon2 hash either way."""
    account = find(identifier)
    budgets = [
        f"answers:{normalised(identifier)}",
        f"answers:account:{key_of(identifier, account)}",
    ]
    open_ = [budget.spend(key, limit=ANSWERS_PER_DAY, seconds=DAY) for key in budgets]

    def check() -> Account | None:
        usable = account is not None and account.secret_question and account.is_active
        encoded = account.secret_answer if account and usable else UNUSABLE_PASSWORD_PREFIX
        own = usable and constant_time_compare(question, account.secret_question if account else "")
        right = answer_matches(answer, encoded) and own and all(open_)
        return account if right else None

    found = throttle.attempt(key_of(identifier, account), check, action=Action.SECRET_ANSWER, ip=ip)
    if found:
        for key in budgets:
            budget.refund(key)
    return found
