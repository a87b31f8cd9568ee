"""Where a worker's time went, from the collapsed stacks `bench/load.py --py-spy DIR` records.

    .venv/bin/python bench/stacks.py DIR/sign-in-*.txt [--top 25] [--focus seuil]

Prints the share of samples in the Argon2 hash, then the functions that hold the most samples
(inclusive: a function counts when it is anywhere on the stack), so that before and after a
change can be compared on the same phase.

Only CPU counts: bench/load.py records with py-spy's --gil (a sample is taken only when the
thread holds the GIL), and this script also leaves out, as idle, the samples waiting for a
request (gunicorn's select), for PostgreSQL (psycopg's waits) or for a socket (Redis, LDAP), in
case the files were recorded without --gil.
"""

import argparse
import re
from collections import Counter
from pathlib import Path

HASH = re.compile(r"argon2|_ffi|hash_secret|verify_secret")
# Waiting, not computing: for a request, for PostgreSQL's answer, for a socket.
IDLE = re.compile(
    r"wait \(gunicorn|select \(selectors|poll \(selectors|wait \(psycopg|wait_c \(psycopg"
    r"|_wait_conn|pgconn_wait|recv_into \(socket|readinto \(socket|recv \(socket"
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--focus", default="", help="only frames whose text holds this")
    options = parser.parse_args()
    inclusive: Counter[str] = Counter()
    total = hashing = idle = 0
    for path in options.files:
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not count.isdigit():
                continue
            samples = int(count)
            frames = stack.split(";")
            total += samples
            if any(HASH.search(frame) for frame in frames):
                hashing += samples
            if IDLE.search(stack):
                idle += samples
                continue
            for frame in set(frames):
                if options.focus in frame:
                    inclusive[frame] += samples
    busy = total - idle
    print(f"samples {total}, idle {idle}, busy {busy}")
    if busy:
        print(f"in the hash: {hashing} ({hashing / busy:.1%} of busy samples)")
        for frame, samples in inclusive.most_common(options.top):
            print(f"{samples / busy:7.1%}  {frame}")


if __name__ == "__main__":
    main()
