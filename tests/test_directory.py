"""The account becomes real everywhere: a real slapd, binds as the person, the queue, --full.

These tests commit (transaction=True): the push happens right after the commit, as in production.
"""

import logging
import threading
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

import ldap
import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, connections
from django.test import Client
from django.utils import timezone

from seuil.accounts.models import Account, AccountChange
from seuil.activation.models import Sesame
from seuil.core.queue import QueueState
from seuil.directory.entries import dn_key, dn_of
from seuil.directory.sandbox import Sandbox
from seuil.directory.services import Drained, drain
from seuil.lifecycle.services import run as nightly
from seuil.people.models import Person
from tests.conftest import PASSWORD, free_port

pytestmark = pytest.mark.django_db(transaction=True)
ACTIVATION = "/gestion-de-compte/validation-personnel/"
OLD, NEW = PASSWORD, "Vqz8rWn3Hk"


def binds(directory: Sandbox, login: str, password: str) -> bool:
    """What a mail server or CAS does: bind as uid=<login>,<people> (ldapwhoami)."""
    conn = ldap.initialize(directory.url)
    try:
        conn.simple_bind_s(dn_of(login), password)
        assert dn_key(conn.whoami_s().removeprefix("dn:")) == dn_key(dn_of(login))
        return True
    except ldap.INVALID_CREDENTIALS:
        return False
    finally:
        conn.unbind_s()


def entry(directory: Sandbox, login: str) -> dict[str, list[bytes]] | None:
    conn = directory.admin()
    try:
        return dict(conn.search_s(dn_of(login), ldap.SCOPE_BASE)[0][1])
    except ldap.NO_SUCH_OBJECT:
        return None
    finally:
        conn.unbind_s()


def values(directory: Sandbox, login: str, name: str) -> list[bytes]:
    found = entry(directory, login)
    assert found is not None, f"no entry for {login}"
    return found.get(name, [])


def activate(client: Client, person: Person, password: str = OLD) -> Any:
    sesame = Sesame.issue(person.account)[1]
    return client.post(
        ACTIVATION,
        {
            "login": person.account.login,
            "sesame": sesame,
            "password1": password,
            "password2": password,
            "personal_email": "jean.perso@example.org",
            "secret_question": "",
            "secret_answer": "",
            "charter": "on",
        },
    )


def fresh(account: Account) -> Account:
    return Account.objects.select_related("person").get(pk=account.pk)


def test_a_registered_person_has_an_entry_without_a_password(
    directory: Sandbox, make_person: Callable[..., Person]
) -> None:
    person = make_person(status="etudiant", external_id="21001234")

    found = entry(directory, person.account.login)

    assert found is not None
    assert "userPassword" not in found
    assert "mail" not in found, "the mailbox is created at activation"
    assert found["supannEtuId"] == [b"21001234"]
    assert found["supannRessourceEtatDate"][0].startswith(b"{COMPTE}I:")
    assert sorted(found["objectClass"]) == [b"eduPerson", b"inetOrgPerson", b"supannPerson"]


def test_an_activation_binds_as_soon_as_the_recap_shows(
    directory: Sandbox, client: Client, make_person: Callable[..., Person]
) -> None:
    person = make_person()
    assert not binds(directory, person.account.login, OLD)

    response = activate(client, person)

    assert response.status_code == 302
    assert binds(directory, person.account.login, OLD)
    found = entry(directory, person.account.login)
    assert found is not None
    assert found["userPassword"][0].startswith(b"{ARGON2}$argon2id$")
    assert found["mail"] == [str(person.account.mail).encode()]
    assert found["supannRessourceEtatDate"][1].startswith(b"{MAIL}A:SupannActif:")
    assert not AccountChange.objects.pending().exists()


def test_a_change_and_a_reset_bind_with_the_new_password_not_the_old(
    directory: Sandbox, make_person: Callable[..., Person]
) -> None:
    account = make_person(password=OLD).account
    assert binds(directory, account.login, OLD)

    account.replace_password(NEW)  # a change of password
    assert binds(directory, account.login, NEW)
    assert not binds(directory, account.login, OLD)

    fresh(account).replace_password(OLD)  # a reset, by the same write path
    assert binds(directory, account.login, OLD)
    assert not binds(directory, account.login, NEW)


def test_a_lock_refuses_the_bind_and_lifting_it_restores_the_same_password(
    directory: Sandbox, make_person: Callable[..., Person]
) -> None:
    account = fresh(make_person(password=OLD).account)

    account.lock("enquête")
    assert not binds(directory, account.login, OLD)
    state = values(directory, account.login, "supannRessourceEtatDate")[0]
    assert state.startswith(b"{COMPTE}S:SupannVerrouAdministratif:")

    account.unlock()
    assert binds(directory, account.login, OLD)


def test_an_expiry_refuses_the_bind_and_a_new_attachment_restores_it(
    directory: Sandbox, make_person: Callable[..., Person]
) -> None:
    account = make_person(
        password=OLD, start_date=date(2026, 9, 1), end_date=date(2027, 6, 30)
    ).account
    with time_machine.travel(date(2027, 9, 1)):  # past the 30 days of grace
        nightly(today=date(2027, 9, 1))  # records the expiry, sync_directory pushes it
        call_command("sync_directory", verbosity=0)
        assert not binds(directory, account.login, OLD)

        person = Person.objects.get(pk=account.person.pk)
        person.end_date = date(2028, 6, 30)  # the feed attaches the person again
        person.save()
        assert binds(directory, account.login, OLD), "no new password needed"


def test_a_purge_removes_the_entry_and_a_return_recreates_it_without_password(
    directory: Sandbox, make_person: Callable[..., Person]
) -> None:
    account = fresh(make_person(password=OLD).account)

    account.purge()
    assert entry(directory, account.login) is None
    assert not binds(directory, account.login, OLD)

    account = fresh(account)
    account.reopen()
    found = entry(directory, account.login)
    assert found is not None
    assert "userPassword" not in found


def test_an_operator_is_not_provisioned(
    directory: Sandbox, make_operator: Callable[..., Account]
) -> None:
    make_operator(login="drh-admin", password=OLD)
    assert entry(directory, "drh-admin") is None


def test_the_directory_down_during_an_activation_loses_nothing(
    directory: Sandbox, client: Client, make_person: Callable[..., Person], settings: Any
) -> None:
    person = make_person()
    settings.SEUIL_LDAP_URL = f"ldap://127.0.0.1:{free_port()}"  # nobody listens there

    response = activate(client, person)

    assert response.status_code == 302, "the activation completes"
    change = AccountChange.objects.pending().get(account=person.account)
    assert change.attempts == 0
    with pytest.raises(Exception, match="injoignable"):
        call_command("sync_directory", verbosity=0)
    assert AccountChange.objects.pending().get(pk=change.pk).attempts == 0, "no attempt spent"

    settings.SEUIL_LDAP_URL = directory.url  # back
    AccountChange.objects.update(due_at=timezone.now())
    call_command("sync_directory", verbosity=0)
    assert binds(directory, person.account.login, OLD)
    assert not AccountChange.objects.pending().exists()


def test_a_refused_change_is_retried_then_failed_and_blocks_nobody(
    directory: Sandbox, make_person: Callable[..., Person], settings: Any
) -> None:
    settings.SEUIL_LDAP_URL = f"ldap://127.0.0.1:{free_port()}"
    blocked, other = make_person(password=OLD), make_person(password=OLD)
    # A legacy entry in the way: its structural class cannot become inetOrgPerson.
    conn = directory.admin()
    conn.add_s(
        dn_of(blocked.account.login),
        [("objectClass", [b"account"]), ("uid", [blocked.account.login.encode()])],
    )
    conn.unbind_s()
    settings.SEUIL_LDAP_URL = directory.url

    call_command("sync_directory", verbosity=0)

    assert binds(directory, other.account.login, OLD), "the other account is not held up"
    refused = AccountChange.objects.filter(account=blocked.account).latest("pk")
    assert refused.state == QueueState.PENDING
    assert "Object class violation" in refused.last_error
    assert refused.due_at > timezone.now(), "retried with backoff"
    AccountChange.objects.filter(account=blocked.account).update(
        attempts=AccountChange.MAX_ATTEMPTS - 1, due_at=timezone.now()
    )
    call_command("sync_directory", verbosity=0)
    dead = AccountChange.objects.filter(account=blocked.account, state=QueueState.DEAD)
    assert dead.exists()
    assert "Object class violation" in dead.first().last_error  # type: ignore[union-attr]


def test_replaying_a_push_changes_nothing(
    directory: Sandbox, make_person: Callable[..., Person], capsys: pytest.CaptureFixture[str]
) -> None:
    account = make_person(password=OLD).account
    call_command("sync_directory", verbosity=0)  # records its state, as every minute
    AccountChange.objects.record([account.pk], what="names")
    AccountChange.objects.record([account.pk], what="names")
    AccountChange.objects.update(state=QueueState.PENDING, due_at=timezone.now())

    call_command("sync_directory")

    assert (
        "1 compte(s) : 0 ajouté(s), 0 modifié(s), 0 supprimé(s), 1 inchangé(s)"
        in capsys.readouterr().out
    )


def test_special_characters_in_names_and_logins_are_escaped(
    directory: Sandbox, make_person: Callable[..., Person]
) -> None:
    nasty = 'a,b+c"d\\e<f>g;h=i*j(k)l'
    person = make_person(password=OLD, first_name=nasty, last_name=f"O'{nasty}")
    found = entry(directory, person.account.login)
    assert found is not None
    assert found["givenName"] == [nasty.encode()]
    assert found["sn"] == [f"O'{nasty}".encode()]

    # Logins are plain, but nothing in the directory code may rely on it.
    Account.objects.filter(pk=person.account.pk).update(login=nasty)
    AccountChange.objects.update(state=QueueState.DONE)
    account = fresh(person.account)
    account.replace_password(NEW)
    assert binds(directory, nasty, NEW)
    assert values(directory, nasty, "uid") == [nasty.encode()]


def test_a_full_reconciliation_repairs_manual_edits_and_deletions(
    directory: Sandbox, make_person: Callable[..., Person], capsys: pytest.CaptureFixture[str]
) -> None:
    edited, deleted, stripped = (make_person(password=OLD).account for _ in range(3))
    conn = directory.admin()
    conn.modify_s(dn_of(edited.login), [(ldap.MOD_REPLACE, "displayName", [b"Someone Else"])])
    conn.delete_s(dn_of(deleted.login))
    conn.modify_s(dn_of(stripped.login), [(ldap.MOD_DELETE, "userPassword", None)])
    stranger = f"uid=stranger,{directory.people_dn}"
    conn.add_s(
        stranger,
        [("objectClass", [b"inetOrgPerson"]), ("cn", [b"S"]), ("sn", [b"S"]), ("uid", [b"x"])],
    )
    conn.unbind_s()

    call_command("sync_directory", "--full", "--dry-run")
    assert entry(directory, deleted.login) is None, "a dry run writes nothing"
    call_command("sync_directory", "--full")

    out = capsys.readouterr().out
    assert (
        "3 entrée(s) lue(s) : 1 ajoutée(s), 2 modifiée(s), 0 supprimée(s), 0 inchangée(s), "
        "1 inconnue(s) (0 supprimée(s) par --prune)" in out
    )
    assert f"inconnue de seuil : {stranger}" in out
    assert values(directory, edited.login, "displayName") == [b"Jean Dupont"]
    assert binds(directory, deleted.login, OLD)
    assert binds(directory, stripped.login, OLD)
    conn = directory.admin()
    assert conn.search_s(stranger, ldap.SCOPE_BASE), "kept without --prune"
    conn.unbind_s()

    call_command("sync_directory", "--full", "--prune")
    assert (
        "0 modifiée(s), 0 supprimée(s), 3 inchangée(s), 1 inconnue(s) (1 supprimée(s) par --prune)"
        in (capsys.readouterr().out)
    )
    conn = directory.admin()
    with pytest.raises(ldap.NO_SUCH_OBJECT):
        conn.search_s(stranger, ldap.SCOPE_BASE)
    conn.unbind_s()


def test_an_import_is_pushed_in_batches_by_sync_directory(
    directory: Sandbox, make_person: Callable[..., Person]
) -> None:
    rows = [
        Person(
            status="etudiant",
            external_id=f"2100{n:04d}",
            first_name="Léa",
            last_name=f"Martin{n}",
            birth_date=date(2004, 1, 1),
            start_date=date(2026, 9, 1),
        )
        for n in range(120)
    ]
    Person.objects.import_rows(rows)
    conn = directory.admin()
    assert not conn.search_s(directory.people_dn, ldap.SCOPE_ONELEVEL), "not inside the import"
    conn.unbind_s()

    call_command("sync_directory", "--batch", "50", verbosity=0)

    conn = directory.admin()
    assert len(conn.search_s(directory.people_dn, ldap.SCOPE_ONELEVEL, attrlist=["1.1"])) == 120
    conn.unbind_s()
    assert not AccountChange.objects.pending().exists()


def test_nobody_reads_a_hash_through_the_directory(
    directory: Sandbox, make_person: Callable[..., Person]
) -> None:
    account, other = make_person(password=OLD).account, make_person(password=NEW).account
    conn = ldap.initialize(directory.url)
    with pytest.raises(ldap.NO_SUCH_OBJECT):  # anonymous clients may only bind
        conn.search_s(directory.people_dn, ldap.SCOPE_SUBTREE, "(objectClass=*)")
    conn.simple_bind_s(dn_of(account.login), OLD)  # a person reads entries, never a hash
    found = conn.search_s(directory.people_dn, ldap.SCOPE_SUBTREE, "(uid=*)", ["*", "+"])
    conn.unbind_s()
    assert {dn_key(dn) for dn, _ in found} == {dn_key(dn_of(a.login)) for a in (account, other)}
    assert all("userPassword" not in attrs for _dn, attrs in found)
    values = [value for _dn, attrs in found for vs in attrs.values() for value in vs]
    assert not [value for value in values if b"argon2" in value]


def test_an_old_pbkdf2_hash_waits_for_its_upgrade(
    directory: Sandbox, make_person: Callable[..., Person], settings: Any
) -> None:
    hashers = settings.PASSWORD_HASHERS
    pbkdf2 = "django.contrib.auth.hashers.PBKDF2PasswordHasher"
    # PBKDF2 first, as seuil once did (the list also holds the OIDC client-secret hasher).
    settings.PASSWORD_HASHERS = [pbkdf2, *(h for h in hashers if h != pbkdf2)]
    account = make_person(password=OLD).account
    assert account.password.startswith("pbkdf2_sha256$")
    assert not values(directory, account.login, "userPassword")

    settings.PASSWORD_HASHERS = hashers
    assert fresh(account).check_password(OLD)  # a sign-in upgrades the hash to Argon2
    assert binds(directory, account.login, OLD)


def test_the_grace_and_time_pass_without_drift(
    directory: Sandbox, make_person: Callable[..., Person], capsys: pytest.CaptureFixture[str]
) -> None:
    make_person(password=OLD, start_date=date(2026, 9, 1), end_date=date(2027, 6, 30))
    with time_machine.travel(timezone.now() + timedelta(days=3)):
        call_command("sync_directory", "--full", "--dry-run")
    assert "0 ajoutée(s), 0 modifiée(s), 0 supprimée(s), 1 inchangée(s)" in capsys.readouterr().out


def test_no_cleartext_password_in_the_directory_the_database_the_queue_or_the_logs(
    directory: Sandbox,
    client: Client,
    make_person: Callable[..., Person],
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = "Zq7Kx9Lm2Wp4"
    caplog.set_level(logging.DEBUG)
    person = make_person()
    activate(client, person, secret)
    fresh(person.account).replace_password(secret[::-1])
    call_command("sync_directory", "--full")
    assert binds(directory, person.account.login, secret[::-1])

    conn = directory.admin()
    dump = conn.search_s(directory.suffix, ldap.SCOPE_SUBTREE, "(objectClass=*)", ["*", "+"])
    conn.unbind_s()
    values = [v for _dn, attrs in dump for vs in attrs.values() for v in vs]
    rows: list[str] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            rows.extend(repr(row) for row in cursor.fetchall())
    queue = [repr(row) for row in AccountChange.objects.values()]
    assert queue, "the queue was used"
    for password in (secret, secret[::-1]):
        assert not [v for v in values if password.encode() in v], "directory"
        assert not [r for r in rows if password in r], "database"
        assert not [r for r in queue if password in r], "queue"
        assert password not in caplog.text, "logs"


def test_two_workers_drain_the_queue_without_pushing_an_account_twice(
    directory: Sandbox, make_person: Callable[..., Person], settings: Any
) -> None:
    settings.SEUIL_LDAP_URL = f"ldap://127.0.0.1:{free_port()}"
    people = [make_person(password=OLD) for _ in range(40)]
    settings.SEUIL_LDAP_URL = directory.url
    results: list[Drained] = []

    def worker() -> None:
        try:
            results.append(drain(batch=5))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(result.pushed.added for result in results) == 40, "each account added once"
    assert not [r for result in results for r in result.pushed.refused.values()]
    assert not AccountChange.objects.exclude(state=QueueState.DONE).exists()
    assert all(binds(directory, person.account.login, OLD) for person in people[:3])


def test_a_dry_run_says_what_is_pending_and_writes_nothing(
    directory: Sandbox,
    make_person: Callable[..., Person],
    settings: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings.SEUIL_LDAP_URL = f"ldap://127.0.0.1:{free_port()}"
    account = make_person(password=OLD).account
    settings.SEUIL_LDAP_URL = directory.url

    call_command("sync_directory", "--dry-run")

    assert "À publier : 1 compte(s) : 1 ajouté(s)" in capsys.readouterr().out
    assert entry(directory, account.login) is None
    assert AccountChange.objects.pending().filter(account=account).exists()


def test_an_account_expiring_at_midnight_stops_binding_at_the_next_sync_not_the_nightly_run(
    directory: Sandbox, make_person: Callable[..., Person], capsys: pytest.CaptureFixture[str]
) -> None:
    grace = timedelta(days=30)
    account = make_person(
        password=OLD, start_date=date(2026, 9, 1), end_date=date(2027, 6, 30)
    ).account
    last_day = date(2027, 6, 30) + grace
    with time_machine.travel(date(2027, 7, 15)):
        nightly(today=date(2027, 7, 15))  # in grace: still binds
        call_command("sync_directory", verbosity=0)
        assert binds(directory, account.login, OLD)
    paris = timezone.get_default_timezone()
    first_minutes = datetime.combine(last_day + timedelta(days=1), time(0, 2), tzinfo=paris)
    with time_machine.travel(first_minutes, tick=False):
        assert not fresh(account).is_active, "seuil refuses the sign-in from midnight"
        call_command("sync_directory", verbosity=0)  # the cron's every minute, no nightly run
        assert not binds(directory, account.login, OLD)
        assert "SupannExpire 1" in capsys.readouterr().out
        assert fresh(account).state == "SupannExpire"
        call_command("sync_directory", verbosity=0)
        assert "SupannExpire" not in capsys.readouterr().out, "recorded once"
