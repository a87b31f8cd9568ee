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
from django.core.management.base import BaseCommand, CommandError, CommandParser

from seuil.demo.sites import demo_sites
from seuil.sso.models import Service

STOP_SECONDS = 5  # what each server gets to end cleanly before it is killed


class Command(BaseCommand):
    help = (
        "Serve `make run`'s demo until Ctrl-C: migrate, load the demo (load_demo), then seuil at "
        "SEUIL_BASE_URL (Django's development server) and, on its next two ports, the "
        "demonstration services that really sign people in, one OpenID Connect client "
        "(Authlib) and one CAS client (python-cas). The OpenID Connect one gets a new client "
        "secret on each start. Ctrl-C, or any of the three stopping, stops all three. Refuses "
        "to run unless SEUIL_DEBUG=true."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="say what would be served, start nothing"
        )

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("run_demo only runs with SEUIL_DEBUG=true: it serves the demo")
        base = settings.SEUIL_BASE_URL
        parts = urlsplit(base)
        sites = demo_sites(base)
        if dry_run:
            for site in sites:
                self.stdout.write(f"would serve {site.name} at {site.url}")
            self.stdout.write(f"would serve seuil at {base}/ (dry run: nothing started)")
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
        self.stdout.write(f"demo stopped: {len(children)} servers")


def _signal_group(child: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.killpg(child.pid, signum)
