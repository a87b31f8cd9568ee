"""What `seuil check_directory` verifies of the directory, each problem in words an operator can
act on."""

import secrets

import ldap
import ldap.dn
from django.conf import settings
from django.contrib.auth.hashers import make_password

from seuil.directory import client
from seuil.directory.client import DirectoryDown


def problems(*, write: bool = True) -> list[str]:
    """An empty list when seuil can bind, finds the people branch, and (with `write`) writes an
    {ARGON2} password that then binds (a probe entry, removed at once)."""
    if not client.configured():
        return []
    try:
        conn = client.connect()
    except DirectoryDown as error:
        return [
            f"Cannot bind to {settings.SEUIL_LDAP_URL} as {settings.SEUIL_LDAP_BIND_DN}: {error}. "
            "Check the URL, TLS (SEUIL_LDAP_STARTTLS, SEUIL_LDAP_CA_FILE), the DN and password."
        ]
    try:
        try:
            conn.search_s(settings.SEUIL_LDAP_PEOPLE_DN, ldap.SCOPE_BASE, attrlist=["1.1"])
        except ldap.NO_SUCH_OBJECT:
            return [
                f"The people branch {settings.SEUIL_LDAP_PEOPLE_DN} does not exist, or "
                f"{settings.SEUIL_LDAP_BIND_DN} may not read it."
            ]
        return _argon2_binds(conn) if write else []
    finally:
        conn.unbind_s()


def _argon2_binds(conn: ldap.ldapobject.LDAPObject) -> list[str]:
    password = secrets.token_urlsafe(24)
    name = f"seuil-check-{secrets.token_hex(4)}"
    dn = f"cn={ldap.dn.escape_dn_chars(name)},{settings.SEUIL_LDAP_PEOPLE_DN}"
    value = "{ARGON2}" + make_password(password).removeprefix("argon2")
    try:
        conn.add_s(
            dn,
            [
                ("objectClass", [b"inetOrgPerson"]),
                ("cn", [name.encode()]),
                ("sn", [name.encode()]),
                ("userPassword", [value.encode()]),
            ],
        )
    except ldap.LDAPError as error:
        return [
            f"{settings.SEUIL_LDAP_BIND_DN} may not add entries under "
            f"{settings.SEUIL_LDAP_PEOPLE_DN}: {client.message(error)}."
        ]
    try:
        return _binds(dn, password)
    finally:
        conn.delete_s(dn)


def _binds(dn: str, password: str) -> list[str]:
    try:
        person = client.open_connection()
    except ldap.LDAPError as error:
        return [f"A second connection failed: {client.message(error)}."]
    try:
        person.simple_bind_s(dn, password)
        return []
    except ldap.INVALID_CREDENTIALS:
        return [
            "An {ARGON2} password does not bind (error 49): load OpenLDAP's argon2 module "
            "(`moduleload argon2`, in Debian's slapd package) and let anonymous clients `auth` "
            "on userPassword."
        ]
    except ldap.LDAPError as error:
        return [f"A bind with an {{ARGON2}} password failed: {client.message(error)}."]
    finally:
        person.unbind_s()
