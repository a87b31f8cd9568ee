"""CAS figures, for bench/sso.py: the server's CPU per ticket validation, and the sign-out time
with single logout. It runs on the gunicorn bench/sso.py serves, after the OpenID Connect phases.

1. **CPU per CAS validation.** A signed-in client asks /cas/login for tickets in batches of 50
   (each batch validates well within the tickets' 10 seconds), then a pool of clients validates
   each batch at /cas/p3/serviceValidate, attributes included. The CPU is gunicorn's own, read
   from /proc before and after each validation batch, so that the clients' CPU on the same cores
   does not count. Goal (issue 14): at most 3.3 ms, that is 300 validations per second per core.
   The tickets' issue is accounted the same way, separately.
2. **Sign-out with single logout.** Five CAS services on loopback, one of which never answers,
   each get a ticket; then "Se déconnecter" is timed, against the same sign-out with no CAS
   service.
"""

import re
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

PASSWORD = "Lbmx4kr7Tq"  # noqa: S105 -- the benchmark's own person
APP = "http://bench.example/app/"
SIGN_IN = "/gestion-de-compte/se-connecter/"
SIGN_OUT = "/gestion-de-compte/se-deconnecter/"
PREPARE = """
import sys, django
django.setup()
from datetime import date
from django.utils import timezone
from seuil.cas.models import CasService, Kind
from seuil.people.models import Person
from seuil.sso.models import Service
person = Person(status="administratif", external_id="CAS1", first_name="Casimir", last_name="Bench",
                birth_date=date(1980, 1, 1), start_date=date(2026, 1, 1))
person.register()
person.account.set_password(sys.argv[1])
person.account.activated_at = timezone.now()
person.account.save()
for n, prefix in enumerate(sys.argv[2:]):
    service = Service.objects.register(name=f"Bench {n}", url=prefix, theme="gestion",
                                       statuses=["administratif"]).service
    CasService.objects.replace_for(service, kind=Kind.SERVICE, prefixes=[prefix])
print(person.account.login)
"""


def signed_in(base: str, login: str) -> tuple[httpx.Client, str]:
    """A client signed in on seuil, and the CSRF token of its pages."""
    client = httpx.Client(base_url=base, timeout=60)
    page = client.get(SIGN_IN)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, page.status_code
    answer = client.post(
        SIGN_IN, data={"csrfmiddlewaretoken": token[1], "login": login, "password": PASSWORD}
    )
    assert answer.status_code == 302, answer.status_code
    portal = client.get("/mon-ent/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', portal.text)
    assert token, portal.status_code
    return client, token[1]


def ticket(client: httpx.Client, service: str) -> str:
    answer = client.get("/cas/login", params={"service": service})
    assert answer.status_code == 302, answer.text[:300]
    return parse_qs(urlsplit(answer.headers["location"]).query)["ticket"][0]


def validations(
    base: str, login: str, cpu: Callable[[], float], total: int, clients: int
) -> dict[str, float]:
    browser, _ = signed_in(base, login)
    pool = [httpx.Client(base_url=base, timeout=60) for _ in range(clients)]
    issue_cpu = validate_cpu = wall = 0.0
    done = failed = 0
    with ThreadPoolExecutor(max_workers=clients) as executor:
        while done < total:
            batch = min(50, total - done)
            before = cpu()
            tickets = [ticket(browser, APP) for _ in range(batch)]
            middle = cpu()
            started = time.perf_counter()

            def validate(pair: tuple[int, str]) -> bool:
                answer = pool[pair[0] % clients].get(
                    "/cas/p3/serviceValidate", params={"ticket": pair[1], "service": APP}
                )
                return b"<cas:user>" in answer.content

            outcomes = list(executor.map(validate, enumerate(tickets)))
            wall += time.perf_counter() - started
            validate_cpu += cpu() - middle
            issue_cpu += middle - before
            done += batch
            failed += outcomes.count(False)
    for client in pool:
        client.close()
    per_validation = validate_cpu / total * 1000
    return {
        "validations": total,
        "failed": failed,
        "server_cpu_ms_per_validation": round(per_validation, 3),
        "validations_per_second_per_core": round(1000 / per_validation, 1),
        "goal_ms": 3.3,
        "ratio_to_goal": round(3.3 / per_validation, 2),
        "wall_validations_per_second": round(total / wall, 1),
        "server_cpu_ms_per_ticket_issue": round(issue_cpu / total * 1000, 3),
    }


class Endpoint:
    """A CAS service's single-logout endpoint; a silent one reads the request, never answers."""

    def __init__(self, *, silent: bool) -> None:
        self.received = 0

        class Handler(BaseHTTPRequestHandler):
            def do_POST(handler) -> None:
                handler.rfile.read(int(handler.headers["Content-Length"]))
                self.received += 1
                if silent:
                    time.sleep(30)
                    return
                handler.send_response(200)
                handler.end_headers()

            def log_message(handler, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/app/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def sign_outs(base: str, login: str, endpoints: list[Endpoint], rounds: int) -> dict[str, Any]:
    def timed(services: list[Endpoint]) -> list[float]:
        times = []
        for _ in range(rounds):
            client, token = signed_in(base, login)
            for endpoint in services:
                ticket(client, endpoint.url)
            started = time.perf_counter()
            answer = client.post(SIGN_OUT, data={"csrfmiddlewaretoken": token})
            times.append((time.perf_counter() - started) * 1000)
            assert answer.status_code == 302, answer.status_code
            client.close()
        return times

    alone, with_slo = timed([]), timed(endpoints)
    time.sleep(1)  # the background requests reach the answering services

    def summary(times: list[float]) -> dict[str, float]:
        ordered = sorted(times)
        return {
            "p50_ms": round(statistics.median(ordered), 1),
            "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 1),
            "max_ms": round(ordered[-1], 1),
        }

    return {
        "rounds": rounds,
        "services": len(endpoints),
        "silent_services": 1,
        "without_cas": summary(alone),
        "with_five_slo_services": summary(with_slo),
        "logout_requests_received": sum(e.received for e in endpoints),
    }


def figures(
    base: str,
    env: dict[str, str],
    cpu: Callable[[], float],
    *,
    total: int = 3000,
    rounds: int = 30,
    clients: int = 4,
) -> dict[str, Any]:
    """Register the CAS services and a person, then measure both figures."""
    endpoints = [Endpoint(silent=n == 4) for n in range(5)]
    login = subprocess.run(
        [sys.executable, "-c", PREPARE, PASSWORD, APP, *(e.url for e in endpoints)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return {
        "validation": validations(base, login, cpu, total, clients),
        "sign_out": sign_outs(base, login, endpoints, rounds),
    }


def report(cas: dict[str, Any]) -> None:
    valid, out = cas["validation"], cas["sign_out"]
    alone, slo = out["without_cas"], out["with_five_slo_services"]
    print(
        f"""CAS ticket validations (/cas/p3/serviceValidate, attributes included)
  validations          {valid["validations"]} ({valid["failed"]} failed)
  server CPU           {valid["server_cpu_ms_per_validation"]} ms   (goal ≤ 3.3 ms)
  per core             {valid["validations_per_second_per_core"]} validations/s   (goal ≥ 300)
  server CPU, issue    {valid["server_cpu_ms_per_ticket_issue"]} ms per ticket (/cas/login)
Sign-out ("Se déconnecter"), {out["rounds"]} rounds
  no CAS service       p50 {alone["p50_ms"]} ms, p95 {alone["p95_ms"]} ms, max {alone["max_ms"]} ms
  5 SLO, 1 silent      p50 {slo["p50_ms"]} ms, p95 {slo["p95_ms"]} ms, max {slo["max_ms"]} ms
  LogoutRequests       {out["logout_requests_received"]} received
"""
    )
