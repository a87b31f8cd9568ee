"""Signing and encrypting in process with xmlsec's Python binding (python-xmlsec, MIT, on the
same libxmlsec1 as Debian's xmlsec1): pysaml2 otherwise runs one xmlsec1 process per signature
and per encryption, three per response. Verifying signatures (requests, aggregates) stays with
the xmlsec1 program.

Keys are read from their files on each use and parsed once per worker for given bytes: a
rotated key is picked up at once, and no parsed key outlives its file's content.
"""

from functools import lru_cache
from pathlib import Path
from threading import Lock
from typing import Any

import xmlsec
from django.conf import settings
from lxml import etree
from saml2.sigver import CryptoBackendXmlSec1

from seuil.saml.entities import PARSER

C = xmlsec.constants
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"


def signing_key(key_file: str | None = None) -> xmlsec.Key:
    """The IdP's signing key, with its certificate, which each signature's KeyInfo carries."""
    files = settings.SEUIL_SAML_KEY_FILES
    key_file = key_file or files["signing-key"]
    cert = Path(files["signing-cert"]).read_bytes() if key_file == files["signing-key"] else b""
    return _parsed(Path(key_file).read_bytes(), cert)


@lru_cache(maxsize=8)
def _parsed(key_pem: bytes, cert_pem: bytes) -> xmlsec.Key:
    key = xmlsec.Key.from_memory(key_pem, C.KeyDataFormatPem)
    if cert_pem:
        key.load_cert_from_memory(cert_pem, C.KeyDataFormatCertPem)
    return key


@lru_cache(maxsize=256)
def recipient(certificate: str) -> tuple[xmlsec.KeysManager, Lock]:
    """A keys manager holding an SP's encryption certificate (the base64 body its metadata
    holds), made once per worker and certificate: making one loads the system's certificate
    store, 14 ms of CPU, and the key inside it never changes. The lock keeps two threads of a
    worker from using one manager at once."""
    body = "".join(certificate.split())
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    pem = "\n".join(["-----BEGIN CERTIFICATE-----", *lines, "-----END CERTIFICATE-----", ""])
    manager = xmlsec.KeysManager()
    manager.add_key(xmlsec.Key.from_memory(pem.encode("ascii"), C.KeyDataFormatCertPem))
    return manager, Lock()


def sign(element: etree._Element, key: xmlsec.Key) -> None:
    """An enveloped RSA-SHA256 signature of `element` (exclusive c14n, SHA-256 digest), placed
    after its Issuer as the SAML schema wants it."""
    signature = xmlsec.template.create(element, C.TransformExclC14N, C.TransformRsaSha256, ns="ds")
    issuer = element.find(f"{{{SAML}}}Issuer")
    if issuer is None:
        raise ValueError("a SAML message without an Issuer")
    issuer.addnext(signature)
    reference = xmlsec.template.add_reference(
        signature, C.TransformSha256, uri=f"#{element.get('ID')}"
    )
    xmlsec.template.add_transform(reference, C.TransformEnveloped)
    xmlsec.template.add_transform(reference, C.TransformExclC14N)
    xmlsec.template.add_x509_data(xmlsec.template.ensure_key_info(signature))
    context = xmlsec.SignatureContext()
    context.register_id(element, "ID")
    context.key = key
    context.sign(signature)


def encrypt(document: etree._Element, plain: bytes, certificate: str) -> etree._Element:
    """An xenc:EncryptedData of `plain` (a whole element, its namespaces declared in it) with
    AES-256-GCM, its key wrapped with RSA-OAEP for the SP's certificate, which the EncryptedKey
    names."""
    template = xmlsec.template.encrypted_data_create(
        document, C.TransformAes256Gcm, type=C.TypeEncElement, ns="xenc"
    )
    xmlsec.template.encrypted_data_ensure_cipher_value(template)
    key_info = xmlsec.template.encrypted_data_ensure_key_info(template, ns="ds")
    wrapped = xmlsec.template.add_encrypted_key(key_info, C.TransformRsaOaep)
    xmlsec.template.encrypted_data_ensure_cipher_value(wrapped)
    xmlsec.template.add_x509_data(xmlsec.template.encrypted_data_ensure_key_info(wrapped))
    manager, lock = recipient(certificate)
    with lock:
        context = xmlsec.EncryptionContext(manager)
        context.key = xmlsec.Key.generate(C.KeyDataAes, 256, C.KeyDataTypeSession)
        return context.encrypt_binary(template, plain)


def _root(statement: Any) -> etree._Element:
    data = statement if isinstance(statement, bytes) else str(statement).encode("utf-8")
    return etree.fromstring(data, PARSER)


class InProcess(CryptoBackendXmlSec1):  # type: ignore[misc]
    """pysaml2's backend for the messages it still signs (error responses, logout requests and
    responses): the signature made here instead of by an xmlsec1 process."""

    def sign_statement(self, statement: Any, node_name: str, key_file: str, node_id: str) -> str:
        root = _root(statement)
        nodes = root.xpath("//*[@ID=$id]", id=node_id)
        if not nodes:
            raise ValueError(f"no element with ID {node_id}")
        signature = nodes[0].find("{http://www.w3.org/2000/09/xmldsig#}Signature")
        context = xmlsec.SignatureContext()
        context.register_id(nodes[0], "ID")
        context.key = signing_key(key_file)
        context.sign(signature)
        return str(etree.tostring(root, encoding="unicode"))
