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
    return _managed()[0]


def searched() -> list[str]:
    """What seuil asks the directory for: the attributes it manages and the object classes,
    not the institution's own attributes, which it would only skip."""
    return [*managed(), "objectClass"]


# managed() is asked for once per entry compared: made again only when PUBLISHED is another
# declaration (tests/test_published.py declares one more attribute), never for each entry.
_MANAGED: list[Any] = [None, ((), ())]


def _managed() -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """The managed names, and each one with its lower-case form."""
    declared, names = _MANAGED
    if declared is not PUBLISHED:
        found = (*(item.ldap for item in PUBLISHED), "userPassword")
        names = (found, tuple((name, name.lower()) for name in found))
        _MANAGED[:] = [PUBLISHED, names]
    return names  # type: ignore[no-any-return]


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


def entry_of(account: Any, today: date | None = None) -> Entry | None:
    """The entry the directory should hold for this account on a day (today by default); None
    when it should hold none (an operator, or a person whose data was purged)."""
    if getattr(account, "person", None) is None or account.purged_at is not None:
        return None
    today = today or institution_today()
    values = attributes_of(account, today)
    password = password_of(account, today)
    if password is not None:
        values["userPassword"] = [password]
    entry = {name: list(map(str.encode, vs)) for name, vs in values.items()}
    entry["objectClass"] = list(_CLASSES)
    return entry


_CLASSES = tuple(name.encode() for name in OBJECT_CLASSES)
_CLASSES_LOWER = tuple((name, name.lower()) for name in _CLASSES)


def changes(current: Entry, desired: Entry) -> list[tuple[int, str, list[bytes] | None]]:
    """The modifications that make `current` hold `desired` for the attributes seuil manages;
    empty when they already agree. Attribute names compare without case, as LDAP's do; values
    compare as the directory holds them (bytes), in any order.

    An entry that agrees is nearly always the very same mapping: the directory names the
    attributes it is asked for as the schema spells them, as PUBLISHED does, and keeps the
    values in the order seuil wrote them. One comparison of the two mappings settles it (the
    same names, the same values in the same order, hence nothing to add, replace or delete);
    anything else is compared name by name."""
    if current == desired:
        return []
    have = {name.lower(): values for name, values in current.items()}
    mods: list[tuple[int, str, list[bytes] | None]] = []
    classes = {v.lower() for v in have.get("objectclass", ())}
    missing = [name for name, lower in _CLASSES_LOWER if lower not in classes]
    if missing:
        mods.append((ldap.MOD_ADD, "objectClass", missing))
    for name, lower in _managed()[1]:
        wanted = desired.get(name)
        present = have.get(lower)
        if wanted is None:
            if present:
                mods.append((ldap.MOD_DELETE, name, None))
        # Equal lists are equal sorted: sorting is only for values in another order.
        elif present is None or (present != wanted and sorted(present) != sorted(wanted)):
            mods.append((ldap.MOD_REPLACE, name, wanted))
    return mods
