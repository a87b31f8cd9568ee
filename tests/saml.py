"""What the SAML tests share: service providers played by pysaml2's own client (Saml2Client),
in-process, with keys made once per session, and registered as `register_service` would."""

import base64
import re
from dataclasses import dataclass
from functools import cache
from html import unescape
from pathlib import Path
from typing import Any

from django.test import Client
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, BINDING_SOAP
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import entity_descriptor
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from seuil.saml import metadata
from seuil.saml.entities import parse_document, read_entity
from seuil.saml.management.commands.saml_keys import key_and_certificate
from seuil.saml.models import ServiceProvider
from seuil.sso.models import Service

KEYS = Path("var/test-saml-sp-keys")


@cache
def keypair(name: str) -> tuple[str, str]:
    """(key file, certificate file) of a test SP's key `name`, made once per run."""
    KEYS.mkdir(parents=True, exist_ok=True)
    key, cert = KEYS / f"{name}-key.pem", KEYS / f"{name}-cert.pem"
    if not key.exists():
        pem_key, pem_cert = key_and_certificate(name)
        key.write_bytes(pem_key)
        cert.write_bytes(pem_cert)
    return str(key), str(cert)


@dataclass
class SP:
    entity_id: str
    acs: str
    client: Saml2Client
    metadata: str


def make_sp(
    entity_id: str = "https://sp.example.org/shibboleth",
    *,
    sign_requests: bool = False,
    encrypt: bool = True,
    key: str = "sp",
    extra_entity_attributes: str = "",
    soap_logout: str = "",
    redirect_logout: bool = True,
) -> SP:
    """A pysaml2 SP trusting seuil's metadata; its own metadata is returned, not registered.
    `soap_logout`: a SingleLogoutService with the SOAP binding at that URL; `redirect_logout`:
    one with HTTP-Redirect, as Shibboleth SP publishes."""
    acs = entity_id.rsplit("/", 1)[0] + "/Shibboleth.sso/SAML2/POST"
    redirect = entity_id.rsplit("/", 1)[0] + "/Shibboleth.sso/SLO/Redirect"
    key_file, cert_file = keypair(key)
    config: dict[str, Any] = {
        "entityid": entity_id,
        "xmlsec_binary": "/usr/bin/xmlsec1",
        "key_file": key_file,
        "cert_file": cert_file,
        "encryption_keypairs": [{"key_file": key_file, "cert_file": cert_file}] if encrypt else [],
        "metadata": {"inline": [metadata.document().decode("utf-8")]},
        "signing_algorithm": SIG_RSA_SHA256,
        "digest_algorithm": DIGEST_SHA256,
        "service": {
            "sp": {
                "endpoints": {
                    "assertion_consumer_service": [(acs, BINDING_HTTP_POST)],
                    "single_logout_service": [
                        *([(redirect, BINDING_HTTP_REDIRECT)] if redirect_logout else []),
                        *([(soap_logout, BINDING_SOAP)] if soap_logout else []),
                    ],
                },
                "authn_requests_signed": sign_requests,
                "want_response_signed": True,
                "want_assertions_signed": True,
                "want_assertions_or_response_signed": True,
                "allow_unsolicited": False,
            }
        },
    }
    sp_config = SPConfig()
    sp_config.load(config)
    descriptor = str(entity_descriptor(sp_config))
    if not encrypt:  # a signing-only key: the IdP must not encrypt
        descriptor = descriptor.replace('use="encryption"', 'use="signing"')
    if extra_entity_attributes:
        descriptor = re.sub(
            r"(<ns\d+:EntityDescriptor[^>]*>|<md:EntityDescriptor[^>]*>)",
            r"\1" + extra_entity_attributes,
            descriptor,
            count=1,
        )
    return SP(entity_id, acs, Saml2Client(config=sp_config), descriptor)


def register(sp: SP, *, service: Service | None = None) -> ServiceProvider:
    entity = read_entity(parse_document(sp.metadata.encode("utf-8")))
    return ServiceProvider.objects.save_entity(entity, service=service)


def local_service(
    name: str = "Gestion des stages", statuses: tuple[str, ...] = ("administratif",)
) -> Service:
    return Service.objects.register(
        name=name,
        url="https://sp.example.org/",
        theme="scolarite",
        statuses=list(statuses),
        claims=[
            "name",
            "given_name",
            "family_name",
            "email",
            "eduperson_principal_name",
            "eduperson_scoped_affiliation",
        ],
    ).service


def authn_request(
    sp: SP, *, binding: str = BINDING_HTTP_REDIRECT, **kwargs: Any
) -> tuple[str, dict[str, str]]:
    """(request id, the query or form the browser carries to seuil)."""
    request_id, info = sp.client.prepare_for_authenticate(
        binding=binding,
        relay_state="back-to-page",
        sign=sp.client.config.getattr("authn_requests_signed", "sp"),
        sigalg=SIG_RSA_SHA256,
        **kwargs,
    )
    if binding == BINDING_HTTP_REDIRECT:
        location = dict(info["headers"])["Location"]
        return request_id, {"__url__": location}
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', info["data"]))
    return request_id, {k: unescape(v) for k, v in fields.items()}


POSTED = re.compile(r'<form method="post" action="([^"]+)" id="saml-post">(.*?)</form>', re.S)


def posted(response: Any) -> tuple[str, dict[str, str]]:
    """The ACS URL and fields of seuil's auto-posting page."""
    return posted_html(response.content.decode())


def posted_html(html: str) -> tuple[str, dict[str, str]]:
    match = POSTED.search(html)
    assert match, html[:2000]
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', match.group(2)))
    return unescape(match.group(1)), {k: unescape(v) for k, v in fields.items()}


def send(
    browser: Client, query_or_form: dict[str, str], *, binding: str = BINDING_HTTP_REDIRECT
) -> Any:
    """The browser carries the request to seuil, follows to the page that answers."""
    if binding == BINDING_HTTP_REDIRECT:
        url = query_or_form["__url__"].replace("http://127.0.0.1:8000", "")
        return browser.get(url, follow=True)
    return browser.post("/saml/sso/post", query_or_form, follow=True)


def response_xml(fields: dict[str, str]) -> str:
    return base64.b64decode(fields["SAMLResponse"]).decode("utf-8")


SIGNATURE_TEMPLATE = """<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>
<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>
<ds:Reference URI="#{id}"><ds:Transforms>
<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>
<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>
<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/>
</ds:Reference></ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data/></ds:KeyInfo>
</ds:Signature>"""


def aggregate(entities: list[str], *, valid_until: str, key: str = "federation") -> bytes:
    """A federation's aggregate of these EntityDescriptors, signed by the test federation's
    key (keypair(key)) as RENATER signs its own: RSA-SHA256, exc-c14n, enveloped."""
    import subprocess
    import tempfile

    from lxml import etree

    md = "urn:oasis:names:tc:SAML:2.0:metadata"
    root = etree.Element(f"{{{md}}}EntitiesDescriptor", nsmap={"md": md})
    root.set("ID", "aggregate")
    root.set("Name", "https://federation.example/test")
    root.set("validUntil", valid_until)
    root.append(etree.fromstring(SIGNATURE_TEMPLATE.format(id="aggregate")))
    for entity in entities:
        root.append(
            etree.fromstring(entity.split("?>", 1)[-1].strip().encode())
            if entity.startswith("<?xml")
            else etree.fromstring(entity.encode())
        )
    key_file, cert_file = keypair(key)
    with tempfile.NamedTemporaryFile(suffix=".xml") as source:
        source.write(etree.tostring(root))
        source.flush()
        signed = subprocess.run(
            ["/usr/bin/xmlsec1", "--sign", "--privkey-pem", f"{key_file},{cert_file}",
             "--id-attr:ID", f"{md}:EntitiesDescriptor", source.name],
            capture_output=True, check=True,
        )  # fmt: skip
    return signed.stdout


LOGOUT_RESPONSE = """<soap11:Envelope xmlns:soap11="http://schemas.xmlsoap.org/soap/envelope/">
<soap11:Body><samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"
 xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_answer" Version="2.0"
 IssueInstant="2026-01-01T00:00:00Z" InResponseTo="{request_id}"><saml:Issuer>{issuer}</saml:Issuer>
<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>
</samlp:LogoutResponse></soap11:Body></soap11:Envelope>"""


class SoapEndpoint:
    """An SP's SingleLogoutService with the SOAP binding, on loopback: it keeps each body posted
    to it and answers a LogoutResponse (Success) to it; `hang` makes it answer nothing until
    closed."""

    def __init__(self, issuer: str = "https://sp.example.org/shibboleth", *, hang: bool = False):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.bodies: list[bytes] = []
        self.holding, self.release = threading.Event(), threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.bodies.append(body)
                if hang:
                    outer.holding.set()
                    outer.release.wait(30)
                    return
                found = re.search(rb'<(?:\w+:)?LogoutRequest\b[^>]*?\sID="([^"]+)"', body)
                request_id = found.group(1).decode() if found else ""
                answer = LOGOUT_RESPONSE.format(request_id=request_id, issuer=issuer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/Shibboleth.sso/SLO/SOAP"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, count: int = 1, timeout: float = 10) -> list[bytes]:
        import time

        deadline = time.monotonic() + timeout
        while len(self.bodies) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.bodies

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
