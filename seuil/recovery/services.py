"""Recovering a forgotten password, by the confirmed personal e-mail or the secret question.

Nothing here tells a stranger whether a login exists: every identifier gets the same answer, and
the question path shows every identifier a question, the account's own or a decoy chosen from the
identifier, which fails like a wrong answer at the same cost."""

from datetime import timedelta

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.views.decorators.debug import sensitive_variables

from seuil.accounts.fields import secret_questions
from seuil.accounts.models import Account
from seuil.accounts.passwords import answer_matches
from seuil.audit.models import Action, AuditEvent, Outcome
from seuil.mailer.models import OutgoingMail
from seuil.recovery.mails import reset_link
from seuil.security import throttle

MAILS_PER_HOUR = 3  # to one account: nobody floods someone else's mailbox with links
ANSWERS_PER_DAY = 3  # wrong answers before the question path closes for 24 hours


def find(identifier: str) -> Account | None:
    """The account named by its login or its institutional address."""
    key = identifier.strip().lower()
    return Account.objects.select_related("person").filter(Q(login=key) | Q(mail=key)).first()


def key_of(identifier: str, account: Account | None) -> str:
    """What the lockout and the question path count against: the login, or what was typed."""
    return account.login if account else identifier.strip().lower()[:150]


def send_reset_link(*, identifier: str, ip: str) -> None:
    """Mail a reset link if the account has a confirmed personal address; otherwise do nothing,
    visibly the same."""
    account = find(identifier)
    if account is None or not account.recovery_email or not account.is_active:
        return
    recent = OutgoingMail.objects.filter(
        account=account,
        kind=reset_link.name,
        created_at__gte=timezone.now() - timedelta(hours=1),
    )
    if recent.count() >= MAILS_PER_HOUR:
        return
    AuditEvent.record(Action.RESET_REQUESTED, account=account, ip=ip)
    OutgoingMail.enqueue(reset_link, to=account.recovery_email, account=account)


def question_for(identifier: str) -> str:
    """The account's own question, or a decoy that is always the same for this identifier."""
    account = find(identifier)
    if account and account.secret_question and account.is_active:
        return account.secret_question
    questions = [question for question, _label in secret_questions()]
    digest = salted_hmac("seuil.recovery.decoy", identifier.strip().lower()).hexdigest()
    return questions[int(digest, 16) % len(questions)]


def path_closed(identifier: str) -> bool:
    """Three wrong answers in 24 hours close the question path; the audit log is the count."""
    key = key_of(identifier, find(identifier))
    since = timezone.now() - timedelta(hours=24)
    failures = AuditEvent.objects.filter(
        action=Action.SECRET_ANSWER, outcome=Outcome.FAILURE, actor=key[:64], at__gte=since
    )
    return failures.count() >= ANSWERS_PER_DAY


@sensitive_variables("answer")
def check_answer(*, identifier: str, answer: str, ip: str) -> Account | None:
    """The account if the answer is its own, under the lockout; one Argon2 hash either way."""
    account = find(identifier)

    def check() -> Account | None:
        usable = account is not None and account.secret_question and account.is_active
        encoded = account.secret_answer if account and usable else UNUSABLE_PASSWORD_PREFIX
        return account if answer_matches(answer, encoded) and usable else None

    return throttle.attempt(key_of(identifier, account), check, action=Action.SECRET_ANSWER, ip=ip)
