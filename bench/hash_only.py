"""The control for bench/load.py: a WSGI application that does nothing but what bounds seuil.

Each POST verifies one Argon2id hash with the configured costs and answers a redirect, like a
sign-in; each GET serves a form with a CSRF token, like seuil's. Served by the same gunicorn and
driven by the same clients, it shows how close to the hashing bound the harness itself can get
on the machine: the ceiling any application's ratio is measured against.
"""

import os
from collections.abc import Callable, Iterable
from typing import Any

import argon2
from hash_clock import timed

PASSWORD = "Lbmx4kr7Tq"  # noqa: S105 -- the benchmark's own
HASHER = argon2.PasswordHasher(
    time_cost=int(os.environ.get("SEUIL_ARGON2_TIME_COST", "2")),
    memory_cost=int(os.environ.get("SEUIL_ARGON2_MEMORY_KIB", "19456")),
    parallelism=int(os.environ.get("SEUIL_ARGON2_PARALLELISM", "1")),
)
ENCODED = HASHER.hash(PASSWORD)
# Timed in the worker, as seuil's hasher is in the benchmark's server (bench/hash_clock.py).
VERIFY = timed(HASHER.verify)
FORM = b'<form method="post"><input name="csrfmiddlewaretoken" value="control"></form>'


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    cookie = ("Set-Cookie", "csrftoken=control; Path=/")
    if environ["REQUEST_METHOD"] == "POST":
        environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        VERIFY(ENCODED, PASSWORD)
        start_response("302 Found", [("Location", "/"), cookie, ("Content-Length", "0")])
        return [b""]
    start_response("200 OK", [("Content-Type", "text/html"), cookie])
    return [FORM]
