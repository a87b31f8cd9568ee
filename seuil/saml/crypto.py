"""Signing and encrypting in process with xmlsec's Python binding (python-xmlsec, MIT, on the
same libxmlsec1 as Debian's xmlsec1): pysaml2 otherwise runs one xmlsec1 process per signature
and per encryption, three per response, which cost about 100 ms of CPU where these cost a few.
Verifying signatures (requests, aggregates) stays with the xmlsec1 program."""

from functools import cache
from typing import Any

import xmlsec
from lxml import etree
from saml2.sigver import ASSERT_XPATH, CryptoBackendXmlSec1, pre_encrypt_assertion

from seuil.saml.entities import PARSER

DSIG = "http://www.w3.org/2000/09/xmldsig#"


@cache
def _private_key(path: str) -> xmlsec.Key:
    return xmlsec.Key.from_file(path, xmlsec.constants.KeyDataFormatPem)


def _root(statement: Any) -> etree._Element:
    data = statement if isinstance(statement, bytes) else str(statement).encode("utf-8")
    return etree.fromstring(data, PARSER)


class InProcess(CryptoBackendXmlSec1):  # type: ignore[misc]
    def sign_statement(self, statement: Any, node_name: str, key_file: str, node_id: str) -> str:
        root = _root(statement)
        xmlsec.tree.add_ids(root, ["ID"])
        nodes = root.xpath("//*[@ID=$id]", id=node_id)
        if not nodes:
            raise ValueError(f"no element with ID {node_id}")
        signature = nodes[0].find(f"{{{DSIG}}}Signature")
        context = xmlsec.SignatureContext()
        context.key = _private_key(key_file)
        context.sign(signature)
        return str(etree.tostring(root, encoding="unicode"))

    def encrypt_assertion(
        self,
        statement: Any,
        enc_key: str,
        template: Any,
        key_type: str = "aes-256",
        node_xpath: str | None = None,
        node_id: str | None = None,
    ) -> str:
        if not isinstance(statement, str | bytes):
            statement = pre_encrypt_assertion(statement)
        root = _root(statement)
        node = root.xpath(node_xpath or ASSERT_XPATH)[0]
        encrypted = etree.fromstring(str(template).encode("utf-8"), PARSER)
        node.addprevious(encrypted)
        manager = xmlsec.KeysManager()
        manager.add_key(xmlsec.Key.from_file(enc_key, xmlsec.constants.KeyDataFormatCertPem))
        context = xmlsec.EncryptionContext(manager)
        context.key = xmlsec.Key.generate(
            xmlsec.constants.KeyDataAes, 256, xmlsec.constants.KeyDataTypeSession
        )
        context.encrypt_xml(encrypted, node)
        return str(etree.tostring(root, encoding="unicode"))
