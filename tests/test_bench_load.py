"""bench/load.py's accounting: the hash is timed where it runs, so that the efficiency it reports
(hash CPU / server CPU) cannot exceed 1, whatever the machine's load."""

import argparse
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import hash_clock
import load


def test_without_the_variable_nothing_is_wrapped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(hash_clock.ENV, raising=False)

    def function() -> int:
        return 1

    assert hash_clock.timed(function) is function


def test_the_timed_hasher_is_seuils_and_writes_its_clock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.contrib.auth.hashers import make_password

    monkeypatch.setenv(hash_clock.ENV, str(tmp_path))
    hasher = hash_clock.timed_hasher()()
    encoded = make_password("Lbmx4kr7Tq")  # seuil's own hasher
    assert hasher.verify("Lbmx4kr7Tq", encoded)
    assert not hasher.verify("wrong", encoded)
    seconds, count = hash_clock.read(tmp_path)
    assert count == 2
    assert 0 < seconds < 5


def test_the_hash_only_controls_efficiency_is_at_most_one() -> None:
    """The control does little but hash: its efficiency is close to 1, and never above, since
    each hash is timed on its thread's CPU clock, a part of its worker's CPU as /proc reads it."""
    options = argparse.Namespace(workers=1, worker_class="sync", threads=1)
    with load.serve("hash_only:application", dict(os.environ), options) as server:
        phase = load.closed_loop(
            "hash only", server, load.sign_in("/"), lambda: {"login": "control"}, 2, 1.5
        )
    assert phase.succeeded
    assert not phase.errors
    assert phase.hashes == len(phase.succeeded)  # one verification per POST, all counted
    assert 0 < phase.hash_cpu <= phase.server_cpu
    assert 0.3 < phase.efficiency <= 1
