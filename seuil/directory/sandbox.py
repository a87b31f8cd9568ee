"""A throwaway OpenLDAP directory: Debian's slapd with seuil's schema, for tests, benchmarks and
`make directory`. Never for production: it keeps its data in a temporary folder and skips fsync.

It is what an institution's directory looks like to seuil: an mdb database, the argon2 module
(without it slapd stores {ARGON2} values but every bind fails with error 49), seuil's service
account allowed to write the people branch only, and ACLs that let nobody read userPassword:
anonymous clients may only bind.
"""

import base64
import hashlib
import os
import secrets
import shutil
import signal
import socket

# slapd is started from a fixed path with fixed arguments.
import subprocess  # nosec B404
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import ldap
from argon2 import PasswordHasher

SLAPD = "/usr/sbin/slapd"
MODULES = "/usr/lib/ldap"
SYSTEM_SCHEMAS = Path("/etc/ldap/schema")
SEUIL_SCHEMA = Path(__file__).resolve().parent / "schema" / "seuil.schema"
SUFFIX = "dc=univ-montp3,dc=fr"

CONFIG = """\
include {schemas}/core.schema
include {schemas}/cosine.schema
include {schemas}/inetorgperson.schema
include {seuil_schema}

modulepath {modules}
moduleload back_mdb
{argon2}
pidfile {base}/slapd.pid
argsfile {base}/slapd.args

database mdb
suffix "{suffix}"
rootdn "{admin_dn}"
rootpw {admin_hash}
directory {base}/db
maxsize 4294967296
# A throwaway directory: no fsync per write. A real one keeps it.
dbnosync
index objectClass eq
index uid eq

# seuil reads the whole people branch when it reconciles: no size limit for it.
limits dn.exact="{bind_dn}" size=unlimited size.pr=unlimited size.prtotal=unlimited

# Nobody reads a hash: seuil writes it, anonymous clients may only bind with it.
access to dn.subtree="{people_dn}" attrs=userPassword
	by dn.exact="{bind_dn}" write
	by anonymous auth
	by * none
access to attrs=userPassword
	by anonymous auth
	by * none
access to dn.subtree="{people_dn}"
	by dn.exact="{bind_dn}" write
	by users read
	by * none
access to *
	by users read
	by * none
"""


def slapd_available() -> bool:
    return Path(SLAPD).is_file() and (Path(MODULES) / "argon2.so").is_file()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def ldap_password(password: str, *, argon2: bool = True) -> str:
    """{ARGON2} and a PHC string at the lowest costs, for the sandbox's own accounts only; {SSHA}
    for a sandbox without the argon2 module (which shows what `seuil check_directory` says of
    one)."""
    if argon2:
        hasher = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
        return "{ARGON2}" + hasher.hash(password)
    salt = secrets.token_bytes(8)
    digest = hashlib.sha1(password.encode() + salt, usedforsecurity=False).digest()
    return "{SSHA}" + base64.b64encode(digest + salt).decode()


@dataclass
class Sandbox:
    """A running slapd. `stop()` ends it and removes its files."""

    base: Path
    port: int
    process: subprocess.Popen[bytes] | None = None
    suffix: str = SUFFIX
    admin_password: str = "sandbox-admin-secret"  # noqa: S105 (a throwaway directory's)
    bind_password: str = "sandbox-seuil-secret"  # noqa: S105
    owned: bool = field(default=True, repr=False)
    argon2: bool = True

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def admin_dn(self) -> str:
        return f"cn=admin,{self.suffix}"

    @property
    def bind_dn(self) -> str:
        return f"cn=seuil,ou=services,{self.suffix}"

    @property
    def people_dn(self) -> str:
        return f"ou=people,{self.suffix}"

    def settings(self) -> dict[str, str]:
        """The SEUIL_LDAP_* values that point seuil at this directory."""
        return {
            "SEUIL_LDAP_URL": self.url,
            "SEUIL_LDAP_BIND_DN": self.bind_dn,
            "SEUIL_LDAP_BIND_PASSWORD": self.bind_password,
            "SEUIL_LDAP_PEOPLE_DN": self.people_dn,
        }

    def start(self) -> "Sandbox":
        (self.base / "db").mkdir(parents=True, exist_ok=True)
        config = self.base / "slapd.conf"
        config.write_text(
            CONFIG.format(
                schemas=SYSTEM_SCHEMAS,
                seuil_schema=SEUIL_SCHEMA,
                modules=MODULES,
                argon2="moduleload argon2" if self.argon2 else "# no argon2 module",
                base=self.base,
                suffix=self.suffix,
                admin_dn=self.admin_dn,
                admin_hash=ldap_password(self.admin_password, argon2=self.argon2),
                bind_dn=self.bind_dn,
                people_dn=self.people_dn,
            )
        )
        self.process = subprocess.Popen(  # noqa: S603 # nosec B603
            [SLAPD, "-d", "0", "-f", str(config), "-h", self.url + "/"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self._wait_until_up()
        return self

    def _wait_until_up(self, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.process is not None and self.process.poll() is not None:
                errors = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"slapd stopped at start: {errors.strip()}")
            try:
                self.admin().unbind_s()
                return
            except ldap.SERVER_DOWN:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def admin(self) -> "ldap.ldapobject.LDAPObject":
        """A connection bound as the directory's manager, for what an operator would do by hand."""
        conn = ldap.initialize(self.url)
        conn.set_option(ldap.OPT_NETWORK_TIMEOUT, 2)
        conn.simple_bind_s(self.admin_dn, self.admin_password)
        return conn

    def seed(self) -> "Sandbox":
        """The tree an institution has before seuil: the base, the people branch, seuil's
        service account."""
        conn = self.admin()
        top = self.suffix.split(",")[0].split("=")[1]
        for dn, entry in [
            (self.suffix, {"objectClass": [b"dcObject", b"organization"], "o": [b"seuil"]}),
            (self.people_dn, {"objectClass": [b"organizationalUnit"], "ou": [b"people"]}),
            (f"ou=services,{self.suffix}", {"objectClass": [b"organizationalUnit"]}),
            (
                self.bind_dn,
                {
                    "objectClass": [b"applicationProcess", b"simpleSecurityObject"],
                    "userPassword": [
                        ldap_password(self.bind_password, argon2=self.argon2).encode()
                    ],
                },
            ),
        ]:
            if dn == self.suffix:
                entry["dc"] = [top.encode()]
            if dn.startswith("ou=services"):
                entry["ou"] = [b"services"]
            conn.add_s(dn, list(entry.items()))
        conn.unbind_s()
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None and self.process.stderr:
            self.process.stderr.close()
        if self.owned:
            shutil.rmtree(self.base, ignore_errors=True)


def start(base: Path | None = None, port: int | None = None, *, argon2: bool = True) -> Sandbox:
    """Start and seed a sandbox on a free loopback port."""
    folder = base or Path(tempfile.mkdtemp(prefix="seuil-slapd-"))
    sandbox = Sandbox(base=folder, port=port or free_port(), owned=base is None, argon2=argon2)
    return sandbox.start().seed()


def main() -> None:
    """`make directory`: a sandbox on port 3389 (SEUIL_SANDBOX_PORT) until Ctrl-C."""
    port = int(os.environ.get("SEUIL_SANDBOX_PORT", "3389"))
    sandbox = start(port=port)
    exports = "\n".join(f"  export {name}='{value}'" for name, value in sandbox.settings().items())
    print(
        f"A throwaway OpenLDAP directory listens on {sandbox.url}, with seuil's schema and the\n"
        "argon2 module. Ctrl-C stops it and deletes it.\n\n"
        f"In another terminal, point seuil at it and start it:\n{exports}\n"
        "  make run            # then activate an account on « Validation Personnel »\n"
        "and in a third one, with the same variables and SEUIL_DEBUG=true, check the directory\n"
        "and provision the demo people:\n"
        "  .venv/bin/seuil check_directory\n"
        "  .venv/bin/seuil sync_directory --full\n\n"
        "Then prove that the new password binds, as a mail server or CAS would:\n"
        f"  ldapwhoami -x -H {sandbox.url} -D 'uid=LOGIN,{sandbox.people_dn}' -W\n\n"
        "Read the entries as the directory's manager:\n"
        f"  ldapsearch -x -H {sandbox.url} -D '{sandbox.admin_dn}' "
        f"-w '{sandbox.admin_password}' -b '{sandbox.people_dn}'\n",
        flush=True,
    )
    try:
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    finally:
        sandbox.stop()
        print("The directory is stopped and deleted.")


if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    main()
