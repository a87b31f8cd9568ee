"""The CPU of the password hashes a benchmark's server computes, timed where they run.

With SEUIL_BENCH_HASH_CLOCK naming a folder, every hash wrapped by `timed` adds the CPU time of
its own thread (time.thread_time(): what the hash cost, not the time it waited for a core) to its
process' total, which the process writes to FOLDER/<pid> after each hash: one pwrite of a
fixed-width record over the last, in a file it opened once. (Writing a new file and renaming it,
as before, cost the worker about 0.2 ms per sign-in that the benchmark billed to seuil: 3.6 % of
the samples around the hash, py-spy.) bench/load.py reads the totals before and after each
phase: the hash CPU of the phase's requests, measured in the gunicorn workers that computed them.
Since a thread's CPU is part of its process' CPU, a phase's hash CPU can never exceed the server
CPU bench/load.py reads from /proc for the same processes.

Without the variable (production, tests), `timed` returns the function untouched.
"""

import functools
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

ENV = "SEUIL_BENCH_HASH_CLOCK"
F = TypeVar("F", bound=Callable[..., Any])
_total = [0.0, 0]  # CPU seconds, hashes: this process'
_files: dict[int, int] = {}  # this process' record, by pid (a forked worker opens its own)
WIDTH = 64  # one record, well inside a page: a reader never sees half of it


def timed(function: F) -> F:
    folder = os.environ.get(ENV)
    if not folder:
        return function

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.thread_time()
        try:
            return function(*args, **kwargs)
        finally:
            _total[0] += time.thread_time() - started
            _total[1] += 1
            pid = os.getpid()
            if pid not in _files:
                _files[pid] = os.open(Path(folder) / str(pid), os.O_WRONLY | os.O_CREAT, 0o600)
            os.pwrite(_files[pid], f"{_total[0]!r} {_total[1]}".ljust(WIDTH).encode(), 0)

    return wrapper  # type: ignore[return-value]


def read(folder: Path) -> tuple[float, int]:
    """The hash CPU seconds and the number of hashes of all the processes writing to `folder`."""
    seconds, count = 0.0, 0
    for path in folder.iterdir():
        with_seconds, with_count = path.read_text().split()
        seconds, count = seconds + float(with_seconds), count + int(with_count)
    return seconds, count


def timed_hasher() -> type:
    """seuil's hasher with its hash and its verification timed: the benchmark server's only
    change (bench/timed_settings.py puts it in the place of seuil's)."""
    from seuil.accounts.hashers import Argon2idHasher

    class TimedArgon2idHasher(Argon2idHasher):
        encode = timed(Argon2idHasher.encode)
        verify = timed(Argon2idHasher.verify)

    return TimedArgon2idHasher


def __getattr__(name: str) -> Any:
    # Imported lazily: Django's apps must be ready before seuil's hasher module is.
    if name == "TimedArgon2idHasher":
        return timed_hasher()
    raise AttributeError(name)
