"""A real Apache on 127.0.0.2, for testing seuil against the SSO modules universities use
(mod_auth_openidc, mod_auth_cas).

`running_apache(body, ...)` writes a throw-away configuration (the base modules, a CGI at
/cgi/whoami that prints REMOTE_USER and the variables the SSO modules set, then `body`), starts
Apache on a free port in its own session, waits until it listens, and stops it afterwards.

Why each piece is as it is:
- its own session (start_new_session=True): on SIGTERM, prefork signals its whole process group,
  which would otherwise include, and silently kill, the test runner;
- no `LoadModule unixd_module`, `log_config_module`: Debian builds them in, and loading them again
  is a syntax error;
- 127.0.0.2, not 127.0.0.1: the service and seuil are then different hosts to the browser, as in
  production, and cookies of one never reach the other.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import free_port, need

APACHE = Path(os.environ.get("SEUIL_APACHE", "/usr/sbin/apache2"))
MODULES = Path("/usr/lib/apache2/modules")
HOST = "127.0.0.2"
BASE_MODULES = ["mpm_prefork", "authn_core", "authz_core", "authz_user", "alias", "cgi", "env"]

# Prints what the protected page knows about the person: REMOTE_USER, then every variable that
# mod_auth_openidc (OIDC_CLAIM_*, also as HTTP_ headers) or mod_auth_cas (CAS_*) set, sorted.
WHOAMI = """#!/bin/sh
printf 'Content-Type: text/plain; charset=utf-8\\n\\n'
printf 'REMOTE_USER=%s\\n' "$REMOTE_USER"
env | grep -E '^(HTTP_)?(OIDC_CLAIM_|OIDC_ACCESS_TOKEN_EXPIRES|CAS_|MOD_AUTH_CAS)' | sort
"""


@dataclass
class Apache:
    root: Path
    port: int
    process: "subprocess.Popen[bytes]"

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def log(self) -> str:
        path = self.root / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""


def need_apache(*modules: str) -> None:
    """Skip loudly (fail on CI) unless Apache and the given modules are installed."""
    need("Apache", APACHE.is_file(), f"no {APACHE}; apt-get install apache2")
    for module in modules:
        package = {
            "auth_openidc": "libapache2-mod-auth-openidc",
            "auth_cas": "libapache2-mod-auth-cas",
        }
        need(
            f"mod_{module}",
            (MODULES / f"mod_{module}.so").is_file(),
            f"no mod_{module}; apt-get install {package.get(module, 'apache2')}",
        )


def _config(root: Path, port: int, body: str, modules: list[str]) -> str:
    loads = "\n".join(
        f"LoadModule {name}_module {MODULES}/mod_{name}.so" for name in [*BASE_MODULES, *modules]
    )
    # As root, Apache refuses to serve as root: its children become www-data, so every file they
    # read is world-readable.
    user = "User www-data\nGroup www-data" if os.geteuid() == 0 else ""
    return f"""
ServerRoot "{root}"
ServerName {HOST}
Listen {HOST}:{port}
PidFile "{root}/httpd.pid"
DefaultRuntimeDir "{root}"
Mutex file:{root} default
ErrorLog "{root}/error.log"
LogLevel warn
{user}
StartServers 2
MinSpareServers 1
MaxSpareServers 4
KeepAlive Off
{loads}
DocumentRoot "{root}/htdocs"
ScriptAlias /cgi/ "{root}/cgi/"
<Directory "{root}/cgi">
  Options +ExecCGI
</Directory>
{body}
"""


def _listening(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.2):
            return True
    except OSError:
        return False


@contextmanager
def running_apache(
    body: str, *, modules: list[str], port: int | None = None, timeout: float = 15
) -> Iterator[Apache]:
    """Apache with `body` appended to its configuration, on http://127.0.0.2:<port>. The body may
    use {root} (the server's directory, for caches and passphrase files) and {port}."""
    need_apache(*modules)
    root = Path(tempfile.mkdtemp(prefix="seuil-apache-"))
    root.chmod(0o755)
    for folder in ("htdocs", "cgi"):
        (root / folder).mkdir(mode=0o755)
    script = root / "cgi" / "whoami"
    script.write_text(WHOAMI)
    script.chmod(0o755)
    port = port or free_port(HOST)
    config = root / "httpd.conf"
    config.write_text(_config(root, port, body.format(root=root, port=port), modules))
    process = subprocess.Popen(
        [str(APACHE), "-f", str(config), "-DFOREGROUND"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    apache = Apache(root, port, process)
    try:
        deadline = time.monotonic() + timeout
        while not _listening(port):
            if process.poll() is not None or time.monotonic() > deadline:
                errors = process.stderr.read().decode() if process.stderr else ""
                raise RuntimeError(f"Apache did not start: {errors}\n{apache.log()}")
            time.sleep(0.05)
        yield apache
    finally:
        _stop(process)
        shutil.rmtree(root, ignore_errors=True)


def _stop(process: "subprocess.Popen[bytes]") -> None:
    """SIGTERM to the parent, which stops its children; the whole group is killed if it hangs.
    The group is Apache's own session, never the test runner's."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait(timeout=5)
    if process.stderr:
        process.stderr.close()
