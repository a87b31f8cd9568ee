"""`sync_directory --full`'s shortcuts find every difference the slow way finds: the entries it
builds from plain rows are the ORM's, a DN is read as str2dn reads it, and the comparison still
sees a changed attribute or hash, a missing entry, an extra entry, an attribute that should not
be there, whatever the order of the values or the case of the attributes' names.
"""

import gc
from collections.abc import Callable
from datetime import date
from typing import Any

import ldap
import ldap.dn
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from seuil.accounts.models import Account
from seuil.directory import client, reconcile
from seuil.directory.entries import changes, dn_of, entry_of, managed, searched
from seuil.directory.push import publishable, snapshots
from seuil.directory.sandbox import Sandbox
from seuil.people.models import Person
from tests.test_directory import NEW, OLD, binds, values

pytestmark = pytest.mark.django_db(transaction=True)


def by_str2dn(dn: str) -> str | None:
    """login_of as it was before its shortcut: every DN parsed by libldap."""
    try:
        rdn = ldap.dn.str2dn(dn)[0]
    except (ldap.DECODING_ERROR, IndexError):
        return None
    if len(rdn) != 1 or rdn[0][0].lower() != "uid":
        return None
    return str(rdn[0][1]).lower()


@pytest.mark.parametrize(
    "dn",
    [
        "uid=jdupont,ou=people,dc=univ,dc=fr",
        "UID=JDupont2,ou=people,dc=univ,dc=fr",
        "uid=jean.dupont-3_x,ou=people,dc=univ,dc=fr",
        "uid=a\\2Cb,ou=people,dc=univ,dc=fr",
        "uid=a\\,b,ou=people,dc=univ,dc=fr",
        "uid=jdupont+cn=Jean,ou=people,dc=univ,dc=fr",
        "uid= jdupont ,ou=people,dc=univ,dc=fr",
        "uid=#04024869,ou=people,dc=univ,dc=fr",
        "cn=jdupont,ou=people,dc=univ,dc=fr",
        "uidx=jdupont,ou=people,dc=univ,dc=fr",
        "0.9.2342.19200300.100.1.1=jdupont,ou=people,dc=univ,dc=fr",
        "uid=Élodie,ou=people,dc=univ,dc=fr",
        "uid=jdupont",
        "not a dn",
        "",
    ],
)
def test_a_dn_names_the_login_str2dn_reads_in_it(dn: str) -> None:
    assert reconcile.login_of(dn) == by_str2dn(dn)


def test_values_in_another_order_or_names_in_another_case_agree() -> None:
    desired = {
        "uid": [b"jdupont"],
        "eduPersonAffiliation": [b"staff", b"employee", b"member"],
        "objectClass": [b"inetOrgPerson", b"eduPerson", b"supannPerson"],
    }
    current = {
        "UID": [b"jdupont"],
        "edupersonaffiliation": [b"member", b"staff", b"employee"],
        "objectclass": [b"top", b"supannPerson", b"inetOrgPerson", b"eduPerson"],
        "telephoneNumber": [b"+33 4 00 00 00 00"],  # the institution's own: left alone
    }
    assert changes(current, desired) == []


def test_every_difference_of_a_managed_attribute_is_a_change() -> None:
    desired = {
        "uid": [b"jdupont"],
        "displayName": [b"Jean Dupont"],
        "eduPersonAffiliation": [b"staff", b"member"],
        "userPassword": [b"{ARGON2}$argon2id$new"],
        "objectClass": [b"inetOrgPerson", b"eduPerson", b"supannPerson"],
    }
    current = {
        "uid": [b"jdupont"],
        "displayName": [b"jean dupont"],  # values compare with their case
        "eduPersonAffiliation": [b"staff"],  # one value missing
        "userPassword": [b"{ARGON2}$argon2id$old"],  # another hash
        "mail": [b"jean.dupont@univ.fr"],  # managed, and should not be there
        "objectClass": [b"inetOrgPerson", b"supannPerson"],
    }
    assert changes(current, desired) == [
        (ldap.MOD_ADD, "objectClass", [b"eduPerson"]),
        (ldap.MOD_REPLACE, "displayName", [b"Jean Dupont"]),
        (ldap.MOD_DELETE, "mail", None),
        (ldap.MOD_REPLACE, "eduPersonAffiliation", [b"staff", b"member"]),
        (ldap.MOD_REPLACE, "userPassword", [b"{ARGON2}$argon2id$new"]),
    ]


def test_the_directory_is_asked_for_what_seuil_manages_only() -> None:
    assert searched() == [*managed(), "objectClass"]


def test_an_entry_built_from_a_plain_row_is_the_one_built_from_the_orm(
    make_person: Callable[..., Person],
) -> None:
    people = [
        make_person(),
        make_person(password=OLD, status="etudiant", external_id="21009999"),
        make_person(password=OLD, civility="Mme", end_date=date(2026, 12, 31)),
        make_person(status="enseignant-chercheur", start_date=date(2031, 9, 1)),
        make_person(password=OLD, last_name='O\'Brien, "J" <x>'),
    ]
    Account.objects.filter(pk=people[1].account.pk).update(recovery_email="lea@exämple.org")
    people[0].account.lock("an HR decision")
    Account.objects.filter(pk=people[3].account.pk).update(purged_at=timezone.now())
    operator = Account.objects.create_superuser("operateur", OLD)
    ids = [person.account.pk for person in people] + [operator.pk]

    plain = {a.pk: a for a in snapshots(Account.objects.filter(pk__in=ids))}
    orm = {a.pk: a for a in publishable(Account.objects.filter(pk__in=ids))}

    assert set(plain) == set(ids) - {operator.pk}, "an operator has no person, and no entry"
    for pk, account in plain.items():
        assert account.person.pk == orm[pk].person.pk
        assert entry_of(account) == entry_of(orm[pk])
        for moment in (date(2026, 8, 1), date(2027, 3, 1), date(2032, 1, 1)):
            assert entry_of(account, moment) == entry_of(orm[pk], moment)
    assert entry_of(plain[people[3].account.pk]) is None, "purged: no entry"
    locked = plain[people[0].account.pk]
    assert locked.lock_reason == "an HR decision", "a field not loaded is loaded when read"


def test_a_full_reconciliation_finds_every_kind_of_difference(
    directory: Sandbox, make_person: Callable[..., Person], capsys: pytest.CaptureFixture[str]
) -> None:
    edited, deleted, rehashed, extra, reordered, owned = (
        make_person(password=OLD).account for _ in range(6)
    )
    other = make_person(password=NEW).account
    conn = directory.admin()
    conn.modify_s(dn_of(edited.login), [(ldap.MOD_REPLACE, "sn", [b"dupont"])])
    conn.delete_s(dn_of(deleted.login))
    other_hash = values(directory, other.login, "userPassword")
    conn.modify_s(dn_of(rehashed.login), [(ldap.MOD_REPLACE, "userPassword", other_hash)])
    conn.modify_s(dn_of(extra.login), [(ldap.MOD_ADD, "supannCivilite", [b"M."])])
    affiliations = values(directory, reordered.login, "eduPersonAffiliation")
    conn.modify_s(
        dn_of(reordered.login),
        [(ldap.MOD_REPLACE, "eduPersonAffiliation", affiliations[::-1])],
    )
    conn.modify_s(dn_of(owned.login), [(ldap.MOD_ADD, "telephoneNumber", [b"+33 4 67"])])
    stranger = f"uid=stranger,{directory.people_dn}"
    conn.add_s(
        stranger,
        [("objectClass", [b"inetOrgPerson"]), ("cn", [b"S"]), ("sn", [b"S"]), ("uid", [b"x"])],
    )
    conn.unbind_s()
    assert not binds(directory, rehashed.login, OLD)

    call_command("sync_directory", "--full", "--dry-run")
    dry = capsys.readouterr().out
    assert values(directory, edited.login, "sn") == [b"dupont"], "a dry run writes nothing"
    call_command("sync_directory", "--full")
    done = capsys.readouterr().out

    counts = (
        "7 entrée(s) lue(s) : 1 ajoutée(s), 3 modifiée(s), 0 supprimée(s), 3 inchangée(s), "
        "1 inconnue(s) (0 supprimée(s) par --prune), 0 refusée(s)"
    )
    assert counts in dry, "the dry run says what the run does"
    assert counts in done
    assert f"inconnue de seuil : {stranger}" in done
    assert values(directory, edited.login, "sn") == [b"Dupont"]
    assert binds(directory, deleted.login, OLD)
    assert binds(directory, rehashed.login, OLD)
    assert not binds(directory, rehashed.login, NEW)
    assert values(directory, extra.login, "supannCivilite") == []
    assert values(directory, owned.login, "telephoneNumber") == [b"+33 4 67"], "not seuil's"

    call_command("sync_directory", "--full")
    assert "0 ajoutée(s), 0 modifiée(s), 0 supprimée(s), 7 inchangée(s)" in (
        capsys.readouterr().out
    )


def test_a_full_reconciliation_costs_one_query_and_one_search_a_page(
    directory: Sandbox, make_person: Callable[..., Person], monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(7):
        make_person(password=OLD)
    monkeypatch.setattr(reconcile, "BATCH", 3)  # 7 entries: 3 pages
    searches: list[list[str]] = []
    conn = client.connect()
    search_ext = conn.search_ext

    def counted(*args: Any, **kwargs: Any) -> int:
        searches.append(args[3])
        return int(search_ext(*args, **kwargs))

    conn.search_ext = counted
    try:
        with CaptureQueriesContext(connection) as queries:
            report = reconcile.reconcile(conn, dry_run=True)
    finally:
        conn.unbind_s()

    assert (report.read, report.unchanged) == (7, 7)
    assert searches == [searched()] * 3, "one search a page, for seuil's attributes"
    # A page's accounts in one query, then the logins of every person once, for those missing.
    assert len(queries) == 3 + 1, [q["sql"] for q in queries]


def test_reading_the_branch_makes_no_cyclic_garbage_per_entry(
    directory: Sandbox, make_person: Callable[..., Person]
) -> None:
    """The cycle collector is paused while the branch is read (reconcile._collector_paused):
    which holds only while what an entry is read and compared with leaves no reference cycle."""
    for _ in range(40):
        make_person()
    conn = client.connect()
    gc.collect()
    gc.disable()
    try:
        report = reconcile.reconcile(conn, dry_run=True)
        garbage = gc.collect()
    finally:
        gc.enable()
        conn.unbind_s()
    assert report.unchanged == 40
    assert garbage < 40, "cyclic garbage for each entry: the collector cannot stay paused"


def test_the_collector_runs_again_after_a_reconciliation(
    directory: Sandbox, make_person: Callable[..., Person]
) -> None:
    make_person()
    conn = client.connect()

    def down(*args: Any, **kwargs: Any) -> int:
        raise ldap.SERVER_DOWN({"desc": "Can't contact LDAP server"})

    try:
        reconcile.reconcile(conn, dry_run=True)
        assert gc.isenabled()
        conn.search_ext = down
        with pytest.raises(ldap.SERVER_DOWN):
            reconcile.reconcile(conn, dry_run=True)
        assert gc.isenabled(), "back on when the directory fails too"
    finally:
        gc.enable()
        conn.unbind_s()
