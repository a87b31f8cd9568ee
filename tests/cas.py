"""What the CAS tests share: a service registered for CAS, as `register_service` would, and a
service's single-logout endpoint."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from seuil.cas.models import CasService, Kind
from seuil.sso.models import Service


def register_cas(
    name: str,
    prefix: str,
    *,
    statuses: tuple[str, ...] = ("administratif", "enseignant-chercheur"),
    kind: str = Kind.SERVICE,
) -> Service:
    service = Service.objects.register(
        name=name, url=prefix, theme="scolarite", statuses=list(statuses)
    ).service
    CasService.objects.replace_for(service, kind=kind, prefixes=[prefix])
    return service


class Endpoint:
    """A CAS service's single-logout endpoint on loopback; `hang` makes it never answer."""

    def __init__(self, *, hang: bool = False) -> None:
        self.requests: list[str] = []
        self.release = threading.Event()
        self.holding = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                if hang:
                    outer.holding.set()
                    outer.release.wait(30)
                    return
                outer.requests.append(parse_qs(body)["logoutRequest"][0])
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/app/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, count: int = 1, timeout: float = 10) -> list[str]:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.requests

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
