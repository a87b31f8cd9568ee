"""bench/rush.py's CPU accounting: which part of the rush each core-second went to."""

import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import rush_proxy
import rush_stack


def test_the_load_generator_is_counted_as_the_clients_and_a_child_by_its_role() -> None:
    spin = "import time; t = time.time()\nwhile time.time() - t < 30: pass"
    busy = subprocess.Popen([sys.executable, "-c", spin, "redis-server"])  # its role, by name
    try:
        before = rush_stack.cpu_by_process()
        deadline = time.monotonic() + 20  # however busy the machine, the child gets a share
        while (after := rush_stack.cpu_by_process())[busy.pid][1] <= before[busy.pid][1]:
            assert time.monotonic() < deadline
            time.sleep(0.2)
    finally:
        busy.kill()
        busy.wait()
    assert after[busy.pid][0] == "redis"
    assert [role for role, _ in after.values()].count("clients") == 1
    assert rush_stack.cores_between(before, after, 1.0)["redis"] > 0


def test_a_process_gone_between_two_samples_is_left_out_and_a_new_one_counts_whole() -> None:
    before = {1: ("seuil", 10.0), 2: ("seuil", 5.0), 3: ("postgres", 1.0)}
    after = {1: ("seuil", 12.0), 3: ("postgres", 1.5), 4: ("seuil", 1.0)}
    assert rush_stack.cores_between(before, after, 2.0) == {"postgres": 0.25, "seuil": 1.5}


def test_the_proxy_deals_each_connection_to_the_host_holding_the_fewest() -> None:
    ports = [8001, 8002, 8003]
    assert rush_proxy.order(ports, {8001: 2, 8002: 0, 8003: 1}, turn=0) == [8002, 8003, 8001]
    # Equal hosts are dealt in turn, so that a quiet period spreads the load too.
    assert [rush_proxy.order(ports, dict.fromkeys(ports, 0), turn)[0] for turn in range(4)] == [
        8001,
        8002,
        8003,
        8001,
    ]
    assert rush_proxy.order(ports, {8001: 1, 8002: 1, 8003: 0}, turn=1) == [8003, 8002, 8001]
