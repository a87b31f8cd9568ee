"""An account's LDAP entry: its DN, object classes, attributes and password, and the changes that
turn the directory's current entry into it.

Every value in a DN goes through ldap.dn.escape_dn_chars, every value in a filter through
ldap.filter.escape_filter_chars: names can hold `, + " \\ < > ; = * ( )`.
"""

from datetime import date
from typing import Any

import ldap
import ldap.dn
import ldap.filter
from django.conf import settings

from seuil.accounts.states import OPEN
from seuil.people.attributes import PUBLISHED, attributes_of, institution_today

OBJECT_CLASSES = ("inetOrgPerson", "eduPerson", "supannPerson")


# What seuil owns in an entry: the published attributes and the password. Anything else there
# (an institution's own attributes and classes) is left alone.
def managed() -> tuple[str, ...]:
    return (*(item.ldap for item in PUBLISHED), "userPassword")


_DJANGO_ARGON2 = "argon2$argon2"

Entry = dict[str, list[bytes]]


def dn_of(login: str) -> str:
    return f"uid={ldap.dn.escape_dn_chars(login)},{settings.SEUIL_LDAP_PEOPLE_DN}"


def uid_filter(logins: list[str]) -> str:
    parts = "".join(f"(uid={ldap.filter.escape_filter_chars(login)})" for login in logins)
    return f"(|{parts})" if len(logins) > 1 else parts


def dn_key(dn: str) -> tuple[tuple[tuple[str, str], ...], ...]:
    """A DN's comparable form, whatever its spacing, case and escaping (uid and the branch's
    naming attributes are case-insensitive)."""
    try:
        rdns = ldap.dn.str2dn(dn)
    except ldap.DECODING_ERROR:
        return ((("", dn),),)
    return tuple(tuple((t.lower(), v.lower()) for t, v, _ in rdn) for rdn in rdns)


def password_of(account: Any, today: date | None = None) -> str | None:
    """The userPassword for the directory: {ARGON2} and the PHC string seuil stores (Django's
    encoding minus its leading `argon2`). None when the account may not sign in, before the
    activation, or while its hash is an older PBKDF2 one awaiting its upgrade at sign-in."""
    if account.activated_at is None or account.state_on(today) not in OPEN:
        return None
    if not account.password.startswith(_DJANGO_ARGON2):
        return None
    return "{ARGON2}" + str(account.password).removeprefix("argon2")


def entry_of(account: Any) -> Entry | None:
    """The entry the directory should hold for this account; None when it should hold none
    (an operator, or a person whose data was purged)."""
    if getattr(account, "person", None) is None or account.purged_at is not None:
        return None
    today = institution_today()
    values = attributes_of(account, today)
    password = password_of(account, today)
    if password is not None:
        values["userPassword"] = [password]
    entry = {name: [v.encode() for v in vs] for name, vs in values.items()}
    entry["objectClass"] = [name.encode() for name in OBJECT_CLASSES]
    return entry


def changes(current: Entry, desired: Entry) -> list[tuple[int, str, list[bytes] | None]]:
    """The modifications that make `current` hold `desired` for the attributes seuil manages;
    empty when they already agree. Attribute names compare without case, as LDAP's do."""
    have = {name.lower(): values for name, values in current.items()}
    mods: list[tuple[int, str, list[bytes] | None]] = []
    classes = {v.lower() for v in have.get("objectclass", [])}
    missing = [c.encode() for c in OBJECT_CLASSES if c.lower().encode() not in classes]
    if missing:
        mods.append((ldap.MOD_ADD, "objectClass", missing))
    for name in managed():
        wanted = desired.get(name)
        present = have.get(name.lower())
        if wanted is None:
            if present:
                mods.append((ldap.MOD_DELETE, name, None))
        elif present is None or sorted(present) != sorted(wanted):
            mods.append((ldap.MOD_REPLACE, name, wanted))
    return mods
