"""What `seuil check_directory` verifies of the directory, each problem in words an operator can
act on."""

import secrets

import ldap
import ldap.dn
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.utils.translation import gettext as _

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
            _(
                "Connexion impossible à %(url)s en tant que %(dn)s : %(error)s. Vérifiez "
                "l'URL, TLS (SEUIL_LDAP_STARTTLS, SEUIL_LDAP_CA_FILE), le DN et le mot de passe."
            )
            % {"url": settings.SEUIL_LDAP_URL, "dn": settings.SEUIL_LDAP_BIND_DN, "error": error}
        ]
    try:
        try:
            conn.search_s(settings.SEUIL_LDAP_PEOPLE_DN, ldap.SCOPE_BASE, attrlist=["1.1"])
        except ldap.NO_SUCH_OBJECT:
            return [
                _(
                    "La branche des personnes %(branch)s n'existe pas, ou %(dn)s ne peut pas "
                    "la lire."
                )
                % {"branch": settings.SEUIL_LDAP_PEOPLE_DN, "dn": settings.SEUIL_LDAP_BIND_DN}
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
            _("%(dn)s ne peut pas ajouter d'entrées sous %(branch)s : %(error)s.")
            % {
                "dn": settings.SEUIL_LDAP_BIND_DN,
                "branch": settings.SEUIL_LDAP_PEOPLE_DN,
                "error": client.message(error),
            }
        ]
    try:
        return _binds(dn, password)
    finally:
        conn.delete_s(dn)


def _binds(dn: str, password: str) -> list[str]:
    try:
        person = client.open_connection()
    except ldap.LDAPError as error:
        return [_("Une seconde connexion a échoué : %(error)s.") % {"error": client.message(error)}]
    try:
        person.simple_bind_s(dn, password)
        return []
    except ldap.INVALID_CREDENTIALS:
        return [
            _(
                "Un mot de passe {ARGON2} n'ouvre pas de connexion (erreur 49) : chargez le "
                "module argon2 d'OpenLDAP (`moduleload argon2`, dans le paquet slapd de Debian) "
                "et laissez les clients anonymes faire `auth` sur userPassword."
            )
        ]
    except ldap.LDAPError as error:
        return [
            _("Une connexion avec un mot de passe {ARGON2} a échoué : %(error)s.")
            % {"error": client.message(error)}
        ]
    finally:
        person.unbind_s()
