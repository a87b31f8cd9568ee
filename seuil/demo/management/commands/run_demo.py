import contextlib
import os
import signal
import subprocess  # nosec B404 -- starts this checkout's own servers
import sys
import time
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from seuil.core import commands
from seuil.demo.sites import demo_sites
from seuil.sso.models import Service

STOP_SECONDS = 5  # what each server gets to end cleanly before it is killed


class Command(commands.Command):
    rules = gettext_lazy(
        "Sert la démo de `make run` jusqu'à Ctrl-C : migre, charge la démo (load_demo), puis "
        "seuil à SEUIL_BASE_URL (le serveur de développement de Django) et, sur ses deux ports "
        "suivants, les services de démonstration qui connectent vraiment, un client OpenID "
        "Connect (Authlib) et un client CAS (python-cas). Celui d'OpenID Connect reçoit un "
        "nouveau secret de client à chaque démarrage. Ctrl-C, ou l'arrêt de l'un des trois, "
        "arrête les trois. Refuse de tourner sans SEUIL_DEBUG=true."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help=_("dire ce qui serait servi, ne rien démarrer")
        )

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(_("run_demo ne tourne qu'avec SEUIL_DEBUG=true : il sert la démo"))
        base = settings.SEUIL_BASE_URL
        parts = urlsplit(base)
        sites = demo_sites(base)
        if dry_run:
            for site in sites:
                self.stdout.write(
                    _("%(name)s serait servi à %(url)s") % {"name": site.name, "url": site.url}
                )
            self.stdout.write(
                _("seuil serait servi à %(url)s/ (essai : rien n'a été démarré)") % {"url": base}
            )
            return
        call_command("migrate", verbosity=0)
        call_command("load_demo", stdout=self.stdout)
        commands = [[sys.executable, "-m", "seuil", "runserver", f"{parts.hostname}:{parts.port}"]]
        environments = [dict(os.environ)]
        for site in sites:
            environment = dict(os.environ, SEUIL_BASE_URL=base)
            if site.kind == "oidc":
                # A fresh secret handed over in the child's environment, never written anywhere.
                done = Service.objects.register(name=site.name, new_secret=True)
                environment["SEUIL_DEMO_CLIENT_ID"] = done.client_id
                environment["SEUIL_DEMO_CLIENT_SECRET"] = done.client_secret
            commands.append(
                [sys.executable, "-m", "seuil.demo.services", site.kind, site.host, str(site.port)]
            )
            environments.append(environment)
        self._serve(commands, environments)

    def _serve(self, commands: list[list[str]], environments: list[dict[str, str]]) -> None:
        """Start each server in its own process group (runserver's reloader has a child), wait
        until one ends or we are told to stop, then stop every group."""
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, stop)
        children = [
            subprocess.Popen(command, env=environment, start_new_session=True)  # noqa: S603  # nosec B603
            for command, environment in zip(commands, environments, strict=True)
        ]
        try:
            while not stopping and all(child.poll() is None for child in children):
                time.sleep(0.2)
        finally:
            for child in children:
                _signal_group(child, signal.SIGTERM)
            deadline = time.monotonic() + STOP_SECONDS
            for child in children:
                try:
                    child.wait(max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    _signal_group(child, signal.SIGKILL)
                    child.wait()
        self.stdout.write(_("démo arrêtée : %(count)s serveurs") % {"count": len(children)})


def _signal_group(child: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.killpg(child.pid, signum)
