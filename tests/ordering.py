"""The long tests first in each worker's share, so that a pass does not end waiting for one.

pytest-xdist's worksteal scheduler hands each worker a contiguous share of the collected list
(the rest divided by the workers left, in turn), then lets an idle worker take the end of a busy
one's queue. A test of several seconds that sits late in a share starts when the others are
nearly done, and the pass waits for it alone. The tests marked `long` are dealt, one worker in
turn, to the head of each share; the rest keep their order. A change of xdist's dealing only
makes the order less useful, never a test wrong.
"""

import pytest


def long_ones_first(config: pytest.Config, items: list[pytest.Item]) -> None:
    workers = int(getattr(config, "workerinput", {}).get("workercount", 1))
    long = [item for item in items if item.get_closest_marker("long") is not None]
    if not long:
        return
    rest = [item for item in items if item.get_closest_marker("long") is None]
    ordered: list[pytest.Item] = []
    left = len(items)
    for worker in range(workers):
        share = left // (workers - worker)
        heads = long[worker::workers]
        tail = max(0, share - len(heads))
        ordered += heads + rest[:tail]
        del rest[:tail]
        left -= len(heads) + tail
    items[:] = ordered + rest
