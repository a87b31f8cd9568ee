"""Operations that cross apps: issuing Sésames with their letters, and activating an account."""

from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from seuil.accounts import mails as account_mails
from seuil.accounts.models import Account
from seuil.accounts.passwords import normalise_answer
from seuil.activation import mails
from seuil.activation.charter import load_charter
from seuil.activation.models import CharterAcceptance, Sesame, StudentCode
from seuil.audit.models import Action, AuditEvent
from seuil.mailer.models import OutgoingMail
from seuil.people.models import Person
from seuil.security import throttle


@sensitive_variables()
def issue_letters(*, people: list[Person], by: Account, ip: str) -> bytes:
    """A new Sésame for each person, revoking their previous one, and the letters to print: one
    PDF, one page each. All or none are issued."""
    # reportlab and PIL load with the first letter, not in every web worker (worker memory, #16).
    from seuil.activation.letter import Letter, render_letters

    letters = []
    with transaction.atomic():
        for person in people:
            sesame, code = Sesame.issue(person.account, by=by, ip=ip)
            letters.append(Letter(person, code, sesame.expires_at))
        return render_letters(letters)


@sensitive_variables()
def verify_sesame(*, login: str, code: str, ip: str) -> Sesame | None:
    """The login's live Sésame if the code is it, under the per-account lockout."""
    login = login.strip().lower()
    return throttle.attempt(
        login, lambda: Sesame.objects.verify(login, code), action=Action.ACTIVATION, ip=ip
    )


def find_student(*, number: str, born: date, ip: str) -> Person | None:
    """The student with this number and birth date, under a lockout on the number."""
    number = number.strip().upper()
    return throttle.attempt(
        f"etu:{number}",
        lambda: (
            Person.objects.filter(status="etudiant", external_id=number, birth_date=born)
            .select_related("account")
            .first()
        ),
        action=Action.STUDENT_CODE,
        ip=ip,
    )


@sensitive_variables()
def verify_student_code(*, account: Account, code: str, ip: str) -> StudentCode | None:
    """The account's live code if this is it, under the per-account lockout."""
    return throttle.attempt(
        account.login,
        lambda: StudentCode.objects.verify(account, code),
        action=Action.STUDENT_CODE,
        ip=ip,
    )


CODES_PER_HOUR = 5


def send_student_code(*, person: Person, ip: str) -> bool:
    """Issue a code (voiding the previous ones) and mail it to the address the student feed
    knows; False once five went this hour."""
    since = timezone.now() - timedelta(hours=1)
    recent = OutgoingMail.objects.filter(
        account=person.account, kind=mails.student_code.name, created_at__gte=since
    )
    if recent.count() >= CODES_PER_HOUR:
        return False
    with transaction.atomic():
        code = StudentCode.issue(person.account)
        AuditEvent.record(Action.STUDENT_CODE, account=person.account, ip=ip, sent=True)
        OutgoingMail.enqueue(
            mails.student_code, to=person.personal_email, account=person.account, code=code.pk
        )
    return True


@sensitive_variables("password", "answer")
def activate_account(
    *,
    grant: Sesame | StudentCode,
    password: str,
    email: str,
    question: str,
    answer: str,
    ip: str,
    proven: str = "",
) -> tuple[Account, bool] | None:
    """Activate with a verified Sésame or student code, completely or not at all; return the
    account and whether its password was replaced (it was active already). None when a
    concurrent request used the grant first. `proven` is an address the grant has just proven
    (the student's, where the code went). Mail leaves only after the commit."""
    account = grant.account
    # Hash before the transaction: it is the slow part, and needs no lock.
    password_hash = make_password(password)
    answer_hash = make_password(normalise_answer(answer)) if question else ""
    version = load_charter(settings.SEUIL_CHARTER_FILE).version
    person = getattr(account, "person", None)
    # Whoever held the account's addresses before hears of it, in case it was not its owner.
    notified = {address for address in (account.recovery_email, email) if address}
    if not notified and person and person.personal_email:
        notified = {person.personal_email}
    with transaction.atomic():
        if not grant.consume():
            return None
        replaced = account.activate(
            password_hash=password_hash,
            email=email,
            question=question,
            answer_hash=answer_hash,
            proven=proven,
        )
        CharterAcceptance.objects.create(account=account, version=version, ip=ip or None)
        for address in sorted(notified):
            OutgoingMail.enqueue(mails.activated, to=address, account=account, replaced=replaced)
        if account.pending_email:
            OutgoingMail.enqueue(
                account_mails.confirm_email, to=account.pending_email, account=account
            )
        AuditEvent.record(
            Action.ACTIVATION,
            account=account,
            ip=ip,
            replaced=replaced,
            recovery="email" if email else "question",
            charter=version,
        )
    return account, replaced
