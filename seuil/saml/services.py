"""Consent and the audit of releases: typed functions on facts, for the views."""

from django.db import transaction
from django.utils import timezone

from seuil.accounts.models import Account
from seuil.audit.models import Action, AuditEvent
from seuil.saml.models import Consent, ServiceProvider
from seuil.saml.outbound import released_names


def consent_needed(*, account: Account, sp: ServiceProvider) -> list[str]:
    """The names to show on the consent page, or [] when the person already agreed to these
    (a new attribute asks again)."""
    names = [*released_names(sp), "pairwise-id"]
    if sp.subject_id_req in {"subject-id", "any"}:
        names.append("subject-id")
    given = Consent.objects.filter(account=account, entity_id=sp.entity_id).first()
    if given is not None and set(names) <= set(given.attributes):
        return []
    return names


@transaction.atomic
def record_consent(*, account: Account, sp: ServiceProvider, names: list[str]) -> None:
    Consent.objects.update_or_create(
        account=account,
        entity_id=sp.entity_id,
        defaults={"attributes": sorted(names), "given_at": timezone.now()},
    )


def record_release(*, account: Account, sp: ServiceProvider, names: list[str], ip: str) -> None:
    """What went to which SP, when: the attribute names, never their values."""
    AuditEvent.record(
        Action.SAML_RELEASE, account=account, ip=ip, sp=sp.entity_id, attributes=sorted(names)
    )
