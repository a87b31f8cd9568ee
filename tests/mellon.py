"""A real mod_auth_mellon (Debian's libapache2-mod-auth-mellon 0.18) in front of a CGI that
prints what it learnt, trusting seuil only through an aggregate signed by a test federation's key
(the certificate is mellon's validating chain), as an SP of RENATER's federation would.

Why each piece is as it is:
- the SP's metadata is written here (mellon serves it at /mellon/metadata; seuil registers it
  from there), with the persistent NameID format: with the transient one that
  mellon_create_metadata writes, mellon asks for, and seuil sends, a new NameID each time;
- `MellonSecureCookie On`: before sending the browser to seuil, mellon sets a test cookie that is
  always SameSite=None, and checks it when seuil POSTs the Response back from another site.
  Chromium drops a SameSite=None cookie without Secure, and mellon then answers 400 ("lost the
  cookie"). Chromium keeps Secure cookies on loopback addresses, which it treats as secure
  contexts, so this works on the tests' plain HTTP as over HTTPS in production. The session
  cookie is SameSite=None too (`MellonCookieSameSite None`), as mellon's README advises;
- MellonSetEnvNoPrefix with short names, so the CGI prints what the assertions compare.
"""

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.apache import HOST, MODULES, Apache, running_apache
from tests.conftest import free_port, need
from tests.saml import keypair

SP_METADATA = """<?xml version="1.0"?>
<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata"
    xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{url}/mellon/metadata">
  <SPSSODescriptor AuthnRequestsSigned="true" WantAssertionsSigned="true"
      protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data>
      <ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></KeyDescriptor>
    <KeyDescriptor use="encryption"><ds:KeyInfo><ds:X509Data>
      <ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></KeyDescriptor>
    <SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
        Location="{url}/mellon/logout"/>
    <NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</NameIDFormat>
    <AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
        Location="{url}/mellon/postResponse" index="0" isDefault="true"/>
  </SPSSODescriptor>
</EntityDescriptor>
"""

# Prints what the SP learnt: REMOTE_USER, the NameID and the attributes mellon set.
WHOAMI = """#!/bin/sh
printf 'Content-Type: text/plain; charset=utf-8\\n\\n'
printf 'REMOTE_USER=%s\\n' "$REMOTE_USER"
env | grep -E '^(eppn|affiliation|pairwise_id|mail|displayName|MELLON_NAME_ID|MELLON_IDP)=' | sed -E 's/^pairwise_id=/pairwise-id=/' | sort
"""

APACHE_BODY = """
MellonCacheSize 100
MellonLockFile "{dir}/mellon.lock"
ScriptAlias /secure/ "{dir}/cgi/"
<Directory "{dir}/cgi">
  Options +ExecCGI
</Directory>
<Location />
  MellonSPPrivateKeyFile {dir}/sp-key.pem
  MellonSPCertFile {dir}/sp-cert.pem
  MellonSPMetadataFile {dir}/sp-metadata.xml
  MellonIdPMetadataFile {dir}/federation.xml {dir}/federation-cert.pem
  MellonEndpointPath /mellon
  MellonSecureCookie On
  MellonCookieSameSite None
  MellonSignatureMethod rsa-sha256
  MellonUser "urn:oid:1.3.6.1.4.1.5923.1.1.1.6"
  MellonSetEnvNoPrefix eppn "urn:oid:1.3.6.1.4.1.5923.1.1.1.6"
  MellonSetEnvNoPrefix affiliation "urn:oid:1.3.6.1.4.1.5923.1.1.1.9"
  MellonSetEnvNoPrefix pairwise_id "urn:oasis:names:tc:SAML:attribute:pairwise-id"
  MellonSetEnvNoPrefix mail "urn:oid:0.9.2342.19200300.100.1.3"
  MellonSetEnvNoPrefix displayName "urn:oid:2.16.840.1.113730.3.1.241"
  MellonMergeEnvVars On ";"
</Location>
<Location /secure>
  AuthType Mellon
  MellonEnable auth
  Require valid-user
</Location>
"""


@dataclass
class MellonSP:
    apache: Apache
    folder: Path

    @property
    def url(self) -> str:
        return self.apache.url

    @property
    def entity_id(self) -> str:
        return f"{self.apache.url}/mellon/metadata"

    def log(self) -> str:
        return self.apache.log()


def need_mellon() -> None:
    need(
        "mod_auth_mellon",
        (MODULES / "mod_auth_mellon.so").is_file(),
        "no mod_auth_mellon; apt-get install libapache2-mod-auth-mellon",
    )


@contextmanager
def running_mellon_sp(*, federation: bytes) -> Iterator[MellonSP]:
    """Apache with mod_auth_mellon on http://127.0.0.2:<port>, trusting `federation` (an
    aggregate signed with keypair("federation")); /secure/whoami is behind it."""
    need_mellon()
    folder = Path(tempfile.mkdtemp(prefix="seuil-mellon-"))
    folder.chmod(0o777)  # Apache's www-data children write the lock file here
    port = free_port(HOST)
    url = f"http://{HOST}:{port}"
    key, cert = keypair("mellon-sp")
    shutil.copy(key, folder / "sp-key.pem")
    shutil.copy(cert, folder / "sp-cert.pem")
    shutil.copy(keypair("federation")[1], folder / "federation-cert.pem")
    (folder / "federation.xml").write_bytes(federation)
    body = "".join(
        line for line in Path(cert).read_text().splitlines(keepends=False) if "-----" not in line
    )
    (folder / "sp-metadata.xml").write_text(SP_METADATA.format(url=url, cert=body))
    (folder / "cgi").mkdir(mode=0o755)
    (folder / "cgi" / "whoami").write_text(WHOAMI)
    (folder / "cgi" / "whoami").chmod(0o755)
    for path in folder.iterdir():
        if path.suffix in {".pem", ".xml"}:
            path.chmod(0o644)
    config = APACHE_BODY.replace("{dir}", str(folder)).replace("{", "{{").replace("}", "}}")
    try:
        with running_apache(config, modules=["auth_mellon"], port=port) as apache:
            yield MellonSP(apache, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
