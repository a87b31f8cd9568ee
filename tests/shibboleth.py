"""A real Shibboleth SP 3.4 (Debian's libapache2-mod-shib: mod_shib in Apache, shibd beside it)
in front of a CGI that prints what it learnt, trusting seuil only through an aggregate signed by
a test federation's key, with a validUntil, as RENATER's members' SPs do.

Why each piece is as it is (/work/shared/reference/domain-notes.md §6):
- shibd runs in the foreground (-F), in its own session, with its own UnixListener socket and its
  own loggers under the test's folder: Debian's are the system's;
- handlerSSL="false" cookieProps="http": seuil's tests run on plain-HTTP loopback;
- the test's own attribute-map.xml with the urn:oid names: Debian's maps almost nothing;
- Debian's attribute-policy.xml stays: it drops scoped values outside the IdP's shibmd:Scope,
  which is what the test must pass.
"""

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.apache import HOST, Apache, running_apache
from tests.conftest import free_port, need
from tests.saml import keypair

SHIBD = Path("/usr/sbin/shibd")

ATTRIBUTE_MAP = """<Attributes xmlns="urn:mace:shibboleth:2.0:attribute-map"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <Attribute name="urn:oid:1.3.6.1.4.1.5923.1.1.1.6" id="eppn">
    <AttributeDecoder xsi:type="ScopedAttributeDecoder"/></Attribute>
  <Attribute name="urn:oid:1.3.6.1.4.1.5923.1.1.1.9" id="affiliation">
    <AttributeDecoder xsi:type="ScopedAttributeDecoder" caseSensitive="false"/></Attribute>
  <Attribute name="urn:oasis:names:tc:SAML:attribute:pairwise-id" id="pairwise-id">
    <AttributeDecoder xsi:type="ScopedAttributeDecoder" caseSensitive="false"/></Attribute>
  <Attribute name="urn:oasis:names:tc:SAML:attribute:subject-id" id="subject-id">
    <AttributeDecoder xsi:type="ScopedAttributeDecoder" caseSensitive="false"/></Attribute>
  <Attribute name="urn:oid:0.9.2342.19200300.100.1.3" id="mail"/>
  <Attribute name="urn:oid:2.16.840.1.113730.3.1.241" id="displayName"/>
  <Attribute name="urn:oid:2.5.4.42" id="givenName"/>
  <Attribute name="urn:oid:2.5.4.4" id="sn"/>
  <Attribute name="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent" id="persistent-id">
    <AttributeDecoder xsi:type="NameIDAttributeDecoder" formatter="$NameQualifier!$SPNameQualifier!$Name" defaultQualifiers="true"/>
  </Attribute>
</Attributes>
"""

LOGGER = """log4j.rootCategory=INFO, log
log4j.appender.log=org.apache.log4j.FileAppender
log4j.appender.log.fileName={path}
log4j.appender.log.layout=org.apache.log4j.PatternLayout
log4j.appender.log.layout.ConversionPattern=%d %p %c: %m%n
"""

SHIBBOLETH2 = """<SPConfig xmlns="urn:mace:shibboleth:3.0:native:sp:config"
    xmlns:conf="urn:mace:shibboleth:3.0:native:sp:config" clockSkew="180">
  <OutOfProcess logger="{dir}/shibd.logger"/>
  <InProcess logger="{dir}/native.logger"/>
  <UnixListener address="{dir}/shibd.sock"/>
  <StorageService type="Memory" id="mem" cleanupInterval="900"/>
  <SessionCache type="StorageService" StorageService="mem" cacheAssertions="false"
      cacheAllowance="900" inprocTimeout="900" cleanupInterval="900"/>
  <ReplayCache StorageService="mem"/>
  <RequestMapper type="Native">
    <RequestMap>
      <Host name="{host}" port="{port}" scheme="http">
        <Path name="secure" authType="shibboleth" requireSession="true"/>
      </Host>
    </RequestMap>
  </RequestMapper>
  <ApplicationDefaults entityID="{entity_id}" REMOTE_USER="eppn" signing="true" encryption="true">
    <Sessions lifetime="28800" timeout="3600" relayState="ss:mem" checkAddress="false"
        handlerSSL="false" cookieProps="http" handlerURL="/Shibboleth.sso">
      <SSO entityID="{idp}">SAML2</SSO>
      <Logout>SAML2 Local</Logout>
      <Handler type="MetadataGenerator" Location="/Metadata" signing="false"/>
      <Handler type="Status" Location="/Status" acl="127.0.0.1 127.0.0.2 ::1"/>
      <Handler type="Session" Location="/Session" showAttributeValues="true"/>
    </Sessions>
    <Errors supportContact="root@localhost" showErrors="true"/>
    <MetadataProvider type="XML" validate="true" path="{dir}/federation.xml">
      <MetadataFilter type="RequireValidUntil" maxValidityInterval="2419200"/>
      <MetadataFilter type="Signature" certificate="{dir}/federation-cert.pem"/>
    </MetadataProvider>
    <AttributeExtractor type="XML" validate="true" reloadChanges="false" path="{dir}/attribute-map.xml"/>
    <AttributeFilter type="XML" validate="true" path="/etc/shibboleth/attribute-policy.xml"/>
    <CredentialResolver type="File" use="signing" key="{dir}/sp-key.pem" certificate="{dir}/sp-cert.pem"/>
    <CredentialResolver type="File" use="encryption" key="{dir}/sp-key.pem" certificate="{dir}/sp-cert.pem"/>
  </ApplicationDefaults>
  <SecurityPolicyProvider type="XML" validate="true" path="/etc/shibboleth/security-policy.xml"/>
  <ProtocolProvider type="XML" validate="true" reloadChanges="false" path="/etc/shibboleth/protocols.xml"/>
</SPConfig>
"""

# Prints what the SP learnt: REMOTE_USER and the attributes, as Shibboleth sets them.
WHOAMI = """#!/bin/sh
printf 'Content-Type: text/plain; charset=utf-8\\n\\n'
printf 'REMOTE_USER=%s\\n' "$REMOTE_USER"
env | grep -E '^(eppn|affiliation|pairwise.id|subject.id|persistent.id|mail|displayName|givenName|sn|Shib.Identity.Provider)=' | sed -E 's/^(pairwise|subject|persistent)_id=/\\1-id=/' | sort
"""

APACHE_BODY = """
LoadModule mod_shib /usr/lib/apache2/modules/mod_shib.so
ShibConfig {dir}/shibboleth2.xml
ScriptAlias /secure/ "{dir}/cgi/"
<Directory "{dir}/cgi">
  Options +ExecCGI
</Directory>
<Location /secure>
  AuthType shibboleth
  ShibRequestSetting requireSession 1
  Require shib-session
</Location>
<Location /Shibboleth.sso>
  SetHandler shib
</Location>
"""


@dataclass
class ShibbolethSP:
    apache: Apache
    folder: Path

    @property
    def url(self) -> str:
        return self.apache.url

    @property
    def entity_id(self) -> str:
        return f"{self.apache.url}/shibboleth"

    def log(self) -> str:
        return "\n".join(
            path.read_text(errors="replace")
            for path in sorted(self.folder.glob("*.log"))
            if path.is_file()
        )


def need_shibboleth() -> None:
    need(
        "Shibboleth SP",
        SHIBD.is_file() and Path("/usr/lib/apache2/modules/mod_shib.so").is_file(),
        "no shibd or mod_shib; apt-get install libapache2-mod-shib",
    )


@contextmanager
def running_shibboleth_sp(*, idp_entity_id: str, federation: bytes) -> Iterator[ShibbolethSP]:
    """shibd and Apache with mod_shib on http://127.0.0.2:<port>, trusting `federation` (an
    aggregate signed with keypair("federation"))."""
    need_shibboleth()
    folder = Path(tempfile.mkdtemp(prefix="seuil-shibboleth-"))
    folder.chmod(0o777)  # shibd (root) and Apache's www-data children both write here
    port = free_port(HOST)
    entity_id = f"http://{HOST}:{port}/shibboleth"
    key, cert = keypair("shibboleth-sp")
    shutil.copy(key, folder / "sp-key.pem")
    shutil.copy(cert, folder / "sp-cert.pem")
    shutil.copy(keypair("federation")[1], folder / "federation-cert.pem")
    (folder / "federation.xml").write_bytes(federation)
    (folder / "attribute-map.xml").write_text(ATTRIBUTE_MAP)
    for name in ("shibd", "native"):
        (folder / f"{name}.logger").write_text(LOGGER.format(path=folder / f"{name}.log"))
        (folder / f"{name}.log").touch(mode=0o666)
    (folder / "shibboleth2.xml").write_text(
        SHIBBOLETH2.format(dir=folder, host=HOST, port=port, entity_id=entity_id, idp=idp_entity_id)
    )
    (folder / "cgi").mkdir(mode=0o755)
    (folder / "cgi" / "whoami").write_text(WHOAMI)
    (folder / "cgi" / "whoami").chmod(0o755)
    for path in folder.iterdir():
        if path.suffix in {".pem", ".xml", ".logger"}:
            path.chmod(0o644)
    shibd = subprocess.Popen(
        [
            str(SHIBD),
            "-F",
            "-f",
            "-c",
            str(folder / "shibboleth2.xml"),
            "-p",
            str(folder / "shibd.pid"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not (folder / "shibd.sock").exists():
            if shibd.poll() is not None or time.monotonic() > deadline:
                errors = shibd.stderr.read().decode() if shibd.stderr else ""
                raise RuntimeError(f"shibd did not start: {errors}")
            time.sleep(0.1)
        # Apache's www-data children talk to shibd (root) over it; a throw-away folder.
        os.chmod(folder / "shibd.sock", 0o777)  # noqa: S103
        body = APACHE_BODY.replace("{dir}", str(folder)).replace("{", "{{").replace("}", "}}")
        with running_apache(body, modules=[], port=port) as apache:
            yield ShibbolethSP(apache, folder)
    finally:
        if shibd.poll() is None:
            shibd.terminate()
            try:
                shibd.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(shibd.pid, 9)
        if shibd.stderr:
            shibd.stderr.close()
        shutil.rmtree(folder, ignore_errors=True)
