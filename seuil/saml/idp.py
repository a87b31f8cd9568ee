"""pysaml2, configured as seuil's identity provider.

One pysaml2 Server per SP and per worker, built from that SP's row only and kept in a small LRU:
a worker never parses a federation, and a changed row (a new `updated_at`) builds a new one.
Algorithms are chosen here, never left to pysaml2's defaults: RSA-SHA256 signatures, AES-256-GCM
with RSA-OAEP for encrypted assertions (pysaml2 defaults to 3DES).
"""

import copy
from collections import OrderedDict
from functools import cache
from threading import Lock
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.assertion import Policy
from saml2.attribute_converter import AttributeConverter
from saml2.config import IdPConfig
from saml2.mdstore import MetadataStore
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_TRANSIENT
from saml2.server import Server
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from seuil.saml.attributes import OID
from seuil.saml.crypto import InProcess

AES256_GCM = "http://www.w3.org/2009/xmlenc11#aes256-gcm"
RSA_OAEP = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"
# Assertions live five minutes; SPs consume them in a second.
ASSERTION_MINUTES = 5
CACHED_SERVERS = 64


def enabled() -> bool:
    return bool(settings.SEUIL_SAML_KEY_DIR)


def url(path: str) -> str:
    return f"{settings.SEUIL_BASE_URL}/saml/{path}"


def converter() -> AttributeConverter:
    """Attribute names as their urn:oid, with the LDAP name as FriendlyName."""
    converter = AttributeConverter(NAME_FORMAT_URI)
    converter.from_dict(
        {
            "identifier": NAME_FORMAT_URI,
            "to": {name.lower(): oid for name, oid in OID.items()},
            "fro": {oid: name for name, oid in OID.items()},
        }
    )
    return converter


def config_dict() -> dict[str, Any]:
    files = settings.SEUIL_SAML_KEY_FILES
    return {
        "entityid": settings.SEUIL_SAML_ENTITY_ID,
        "xmlsec_binary": "/usr/bin/xmlsec1",
        "key_file": files["signing-key"],
        "cert_file": files["signing-cert"],
        "encryption_keypairs": [
            {"key_file": files["encryption-key"], "cert_file": files["encryption-cert"]}
        ],
        "signing_algorithm": SIG_RSA_SHA256,
        "digest_algorithm": DIGEST_SHA256,
        "accepted_time_diff": settings.SEUIL_SAML_CLOCK_SKEW,
        "delete_tmpfiles": True,
        "service": {
            "idp": {
                "name": settings.SEUIL_INSTITUTION_NAME,
                "endpoints": {
                    "single_sign_on_service": [
                        (url("sso/redirect"), BINDING_HTTP_REDIRECT),
                        (url("sso/post"), BINDING_HTTP_POST),
                    ],
                    "single_logout_service": [
                        (url("slo/redirect"), BINDING_HTTP_REDIRECT),
                        (url("slo/post"), BINDING_HTTP_POST),
                    ],
                },
                "name_id_format": [NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_TRANSIENT],
                "sign_response": True,
                "sign_assertion": True,
                "want_authn_requests_signed": False,  # per SP, from its metadata (views)
                "policy": {"default": {"lifetime": {"minutes": ASSERTION_MINUTES}}},
            }
        },
    }


@cache
def base_config() -> IdPConfig:
    if not enabled():
        raise ImproperlyConfigured("SAML is off: SEUIL_SAML_KEY_DIR is not set")
    config = IdPConfig()
    config.load(config_dict())
    config.attribute_converters = [converter()]
    return config


class AsReleased(Policy):  # type: ignore[misc]
    """seuil's release rules (seuil.saml.release) decided what goes out; pysaml2 must not filter
    it again on the SP's RequestedAttributes."""

    def filter(self, ava: Any, sp_entity_id: Any, mdstore: Any = None, **kwargs: Any) -> Any:
        return ava


class IdP(Server):  # type: ignore[misc]
    """pysaml2's Server, keeping no copy of the assertions it makes (it would, in memory, for
    queries seuil does not serve). It writes responses unsigned: seuil.saml.seal signs them and
    encrypts their assertion with AES-256-GCM and RSA-OAEP (pysaml2 would use 3DES)."""

    def support_AssertionIDRequest(self) -> bool:
        return False

    def support_AuthnQuery(self) -> bool:
        return False


_servers: "OrderedDict[tuple[str, float], IdP]" = OrderedDict()
_lock = Lock()


def server_for(entity_id: str, metadata: str, version: float) -> IdP:
    """The IdP with this one SP's metadata loaded; `version` (the row's updated_at) tells a
    changed row from the cached one."""
    key = (entity_id, version)
    with _lock:
        found = _servers.get(key)
        if found is not None:
            _servers.move_to_end(key)
            return found
    server = _with_sp(metadata)
    with _lock:
        for stale in [k for k in _servers if k[0] == entity_id]:
            del _servers[stale]
        _servers[key] = server
        while len(_servers) > CACHED_SERVERS:
            _servers.popitem(last=False)
    return server


@cache
def _template() -> IdP:
    """The IdP with no SP, built once per worker: loading its keys costs pysaml2 (and
    OpenSSL's key check) about 0.3 s a time, which each SP's server would otherwise repeat."""
    config = copy.copy(base_config())
    config.metadata = MetadataStore(config.attribute_converters, config)
    server = IdP(config=config)
    server.sec.crypto = InProcess(config.xmlsec_binary, delete_tmpfiles=True)
    return server


def _with_sp(metadata: str) -> IdP:
    """A copy of the template with this SP's metadata as its only one; the keys and the
    security context's settings are shared, the metadata and per-message state are not."""
    template = _template()
    store = copy.copy(template.metadata)
    store.metadata, store.to_old, store.ii = {}, {}, 0
    store.load("inline", metadata)
    config = copy.copy(template.config)
    config.metadata = store
    server = copy.copy(template)
    server.config, server.metadata = config, store
    server.sec = copy.copy(template.sec)
    server.sec.metadata = store
    server.ticket, server.artifact, server.lock = {}, {}, Lock()
    return server


def release_policy() -> AsReleased:
    return AsReleased(restrictions={"default": {"lifetime": {"minutes": ASSERTION_MINUTES}}})
