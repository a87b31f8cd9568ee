"""Where a worker's time went, from the collapsed stacks `bench/load.py --py-spy DIR` records.

    .venv/bin/python bench/stacks.py DIR/sign-in-*.txt [--top 25] [--focus seuil]

Prints the share of samples in the Argon2 hash, then the functions that hold the most samples
(inclusive: a function counts when it is anywhere on the stack), so that before and after a
change can be compared on the same phase.

Only CPU counts: the samples waiting for a request (gunicorn's select), for PostgreSQL (psycopg's
waits) or for a socket (Redis, LDAP) are left out as idle. (py-spy's --gil would leave out the
waits too, but also the Argon2 hash, which releases the GIL: bench/load.py records without it.)
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
    r"|_read_from_socket \(redis|result3 \(ldap|_ldap_call \(ldap"
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
