"""Whether a directory is configured, in a module that does not load python-ldap: a worker
without a directory never loads it (worker memory, #16)."""

from django.conf import settings


def configured() -> bool:
    return bool(settings.SEUIL_LDAP_URL)
