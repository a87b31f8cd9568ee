"""What the people of bench/rush.py do: each journey is what a browser (or a service) sends, from
a client without cookies, through the one address in front of the hosts.

Every request is recorded (time, status, milliseconds) with what it was for; a journey answers
"ok", "refused" (a 503 or 429 page: clean), "error" (a 500, a connection lost, a timeout, an
answer it did not expect) or "waiting" (its mail has not arrived: SMTP refuses, or it is queued).
"""

import base64
import hashlib
import random
import re
import secrets
import string
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from queue import Empty, Queue
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from rush_stack import Mailbox

SIGN_IN = "/gestion-de-compte/se-connecter/"
ACTIVATE = "/gestion-de-compte/validation-personnel/"
STUDENT = "/gestion-de-compte/validation-etudiant/"
CHANGE = "/gestion-de-compte/changer-mon-mot-de-passe/"
FORGOT = "/gestion-de-compte/mot-de-passe-oublie/"
REDIRECT = "http://127.0.0.1:9/callback"
CAS_SERVICE = "https://cours.example/cas/"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
LINK = re.compile(r"(/gestion-de-compte/nouveau-mot-de-passe/[^/\s]+/[^/\s]+/)")
CODE = re.compile(r"\b(\d{4}) (\d{4})\b")
POOL_PASSWORD = "Lbmx4kr7Tq"  # noqa: S105 -- the prepared accounts' first password
UNAVAILABLE = ("Service momentanément indisponible", "Service temporarily unavailable")


def new_password() -> str:
    """6 to 15 letters and digits, as the policy wants, and never guessable."""
    alphabet = string.ascii_letters + string.digits
    return "Rz7" + "".join(secrets.choice(alphabet) for _ in range(9))


@dataclass
class Hit:
    at: float  # seconds since the rush began
    journey: str
    status: int  # 0: connection lost or refused, -1: timeout
    ms: float
    post: bool
    bilingual: bool = True  # a 503 page carried both languages


class Failed(Exception):
    """The journey stops: the page it needed did not come."""

    def __init__(self, outcome: str, detail: str = "") -> None:
        self.outcome, self.detail = outcome, detail


@dataclass
class State:
    """What the people hold, shared by the threads, and what the checks will verify."""

    base: str
    mailbox: Mailbox
    started: float = field(default_factory=time.monotonic)
    hits: list[Hit] = field(default_factory=list)
    staff: "Queue[dict[str, str]]" = field(default_factory=Queue)
    students: "Queue[dict[str, str]]" = field(default_factory=Queue)
    pool: "Queue[tuple[str, str]]" = field(default_factory=Queue)  # activated: (login, password)
    activated: dict[str, str] = field(default_factory=dict)  # recap shown: login → password
    changed: dict[str, str] = field(default_factory=dict)  # "changé" answered: login → password
    unsure: set[str] = field(default_factory=set)  # a change whose answer was lost
    oidc: tuple[str, str] = ("", "")
    errors: Counter[str] = field(default_factory=Counter)  # what ended journeys in error
    lock: threading.Lock = field(default_factory=threading.Lock)

    def now(self) -> float:
        return time.monotonic() - self.started


class Browser:
    """One person's browser for one journey: its own cookies, a new connection."""

    def __init__(self, state: State, journey: str) -> None:
        self.state, self.journey = state, journey
        self.http = httpx.Client(base_url=state.base, timeout=10)

    def __enter__(self) -> "Browser":
        return self

    def __exit__(self, *_: object) -> None:
        self.http.close()

    def send(
        self, method: str, url: str, expect: tuple[int, ...], **options: Any
    ) -> httpx.Response:
        at, started = self.state.now(), time.perf_counter()
        try:
            response = self.http.request(method, url, **options)
            status = response.status_code
        except httpx.TimeoutException:
            response, status = None, -1
        except httpx.HTTPError:
            response, status = None, 0
        ms = (time.perf_counter() - started) * 1000
        bilingual = status != 503 or all(text in response.text for text in UNAVAILABLE)  # type: ignore[union-attr]
        with self.state.lock:
            self.state.hits.append(Hit(at, self.journey, status, ms, method == "POST", bilingual))
        what = f"{status} {method} {url.split('?')[0][:60]}"
        if response is None or status in (500, 502) or status <= 0:
            raise Failed("error", what)
        if status in (429, 503):
            raise Failed("refused")
        if status not in expect:
            raise Failed("error", what)
        return response

    def form(self, url: str) -> str:
        page = self.send("GET", url, (200,))
        match = TOKEN.search(page.text)
        if not match:
            raise Failed("error")
        return match.group(1)

    def post(self, url: str, expect: tuple[int, ...], **data: str) -> httpx.Response:
        return self.send("POST", url, expect, data={"csrfmiddlewaretoken": self.form(url), **data})

    def sign_in(self, login: str, password: str) -> None:
        self.post(SIGN_IN, (302,), login=login, password=password)


def take(queue: "Queue[Any]") -> Any:
    try:
        return queue.get_nowait()
    except Empty:
        raise Failed("skipped") from None


def staff_activation(state: State) -> str:
    person = take(state.staff)
    with Browser(state, "staff activation") as browser:
        try:
            done = browser.post(ACTIVATE, (302, 200), **person)
        except Failed:
            state.staff.put(person)  # the person comes back later, with the same Sésame
            raise
        if done.status_code == 200:  # the Sésame was spent by an attempt whose answer was lost
            return "already"
        recap = browser.send("GET", done.headers["location"], (200,))
        if person["login"] not in recap.text:
            raise Failed("error")
    with state.lock:
        state.activated[person["login"]] = person["password1"]
    return "ok"


def wait_for_mail(state: State, address: str, seen: int, pattern: re.Pattern[str]) -> str:
    """The text the newest mail to `address` carries, once it has come (else 'waiting')."""
    deadline = time.monotonic() + 12
    while time.monotonic() < deadline:
        mails = state.mailbox.to(address)
        if len(mails) > seen:
            body = mails[-1].get_body(("plain",))
            match = pattern.search(body.get_content() if body else "")
            if match:
                return match.group(0)
        time.sleep(0.2)
    raise Failed("waiting")


def student_activation(state: State) -> str:
    student = take(state.students)
    address = student["email"]
    with Browser(state, "student activation") as browser:
        try:
            seen = len(state.mailbox.to(address))
            sent = browser.post(
                STUDENT, (302, 200), number=student["number"], birth_date=student["born"]
            )
            if sent.status_code == 200:
                return "already"
            code = wait_for_mail(state, address, seen, CODE).replace(" ", "")
            browser.send("GET", STUDENT + "code/", (200,))
            browser.post(STUDENT + "code/", (302,), code=code)
            password = new_password()
            done = browser.post(STUDENT + "activation/", (302,), password1=password,
                                password2=password, personal_email=address,
                                charter="on")  # fmt: skip
            recap = browser.send("GET", done.headers["location"], (200,))
        except Failed:
            state.students.put(student)
            raise
        if "activé" not in recap.text:
            raise Failed("error")
    with state.lock:
        state.activated[student["login"]] = password
    return "ok"


def sign_in(state: State) -> str:
    login, password = take(state.pool)
    try:
        with Browser(state, "sign-in") as browser:
            browser.sign_in(login, password)
            browser.send("GET", "/mon-ent/", (200,))
    finally:
        state.pool.put((login, password))
    return "ok"


def password_change(state: State) -> str:
    login, password = take(state.pool)
    new = new_password()
    with Browser(state, "password change") as browser:
        try:
            browser.sign_in(login, password)
        except Failed:
            state.pool.put((login, password))
            raise
        try:
            browser.post(CHANGE, (302,), current_password=password, password1=new, password2=new)
        except Failed as failed:
            if failed.outcome == "error":  # the change may have been made: its answer was lost
                with state.lock:
                    state.unsure.add(login)
            else:
                state.pool.put((login, password))
            raise
    with state.lock:
        state.changed[login] = new
    state.pool.put((login, new))
    return "ok"


def reset_by_mail(state: State) -> str:
    login, password = take(state.pool)
    address = f"{login}@example.org"
    new = new_password()
    with Browser(state, "reset by mail") as browser:
        try:
            seen = len(state.mailbox.to(address))
            browser.post(FORGOT, (302,), identifier=login)
            link = wait_for_mail(state, address, seen, LINK)
            to_form = browser.send("GET", link, (302,))
            browser.send("GET", to_form.headers["location"], (200,))
        except Failed:
            state.pool.put((login, password))
            raise
        try:
            done = browser.post(to_form.headers["location"], (200,), password1=new, password2=new)
        except Failed as failed:
            if failed.outcome == "error":
                with state.lock:
                    state.unsure.add(login)
            else:
                state.pool.put((login, password))
            raise
        if "password1" in done.text:  # the form again: the new password was refused
            state.pool.put((login, password))
            raise Failed("error")
    with state.lock:
        state.changed[login] = new
    state.pool.put((login, new))
    return "ok"


def oidc_exchange(state: State) -> str:
    login, password = take(state.pool)
    client_id, secret = state.oidc
    try:
        with Browser(state, "OIDC code exchange") as browser:
            browser.sign_in(login, password)
            verifier = secrets.token_urlsafe(48)
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            params = {
                "response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT,
                "scope": "openid profile email", "state": secrets.token_hex(8),
                "code_challenge": challenge.rstrip(b"=").decode(), "code_challenge_method": "S256",
            }  # fmt: skip
            answer = browser.send("GET", "/oidc/authorize/", (302,), params=params)
            code = parse_qs(urlsplit(answer.headers["location"]).query).get("code", [""])[0]
            if not code:
                raise Failed("error")
            browser.http.cookies.clear()  # from here on, the service speaks, not the browser
            token = browser.send(
                "POST", "/oidc/token/", (200,), auth=(client_id, secret),
                data={"grant_type": "authorization_code", "code": code,
                      "redirect_uri": REDIRECT, "code_verifier": verifier},
            ).json()["access_token"]  # fmt: skip
            bearer = {"Authorization": f"Bearer {token}"}
            browser.send("GET", "/oidc/userinfo/", (200,), headers=bearer)
    finally:
        state.pool.put((login, password))
    return "ok"


def cas_validation(state: State) -> str:
    login, password = take(state.pool)
    try:
        with Browser(state, "CAS validation") as browser:
            browser.sign_in(login, password)
            answer = browser.send("GET", "/cas/login", (302,), params={"service": CAS_SERVICE})
            ticket = parse_qs(urlsplit(answer.headers["location"]).query).get("ticket", [""])[0]
            browser.http.cookies.clear()
            valid = browser.send("GET", "/cas/p3/serviceValidate", (200,),
                                 params={"ticket": ticket, "service": CAS_SERVICE})  # fmt: skip
            if f"<cas:user>{login}</cas:user>" not in valid.text:
                raise Failed("error")
    finally:
        state.pool.put((login, password))
    return "ok"


# The mix, in journeys: September is activations first, then the sign-ins they lead to.
MIX = [
    ("staff activation", 22, staff_activation),
    ("student activation", 10, student_activation),
    ("sign-in", 28, sign_in),
    ("password change", 8, password_change),
    ("reset by mail", 8, reset_by_mail),
    ("OIDC code exchange", 12, oidc_exchange),
    ("CAS validation", 12, cas_validation),
]


def pick(rng: random.Random) -> tuple[str, Any]:
    name, _, journey = rng.choices(MIX, weights=[weight for _, weight, _ in MIX])[0]
    return name, journey


def run_one(state: State, rng: random.Random) -> tuple[str, str]:
    name, journey = pick(rng)
    try:
        return name, journey(state)
    except Failed as failed:
        if failed.detail:
            with state.lock:
                state.errors[f"{name}: {failed.detail}"] += 1
        return name, failed.outcome
