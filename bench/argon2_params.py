"""Cost of Argon2id parameter sets on this machine, to choose SEUIL_ARGON2_*.

    .venv/bin/python bench/argon2_params.py [--rounds 40]

For each set it prints the time of one hash on one core, the hashes per second one core sustains,
and the memory per concurrent hash. Those give the sign-in ceiling of a machine: cores × hashes/s.
Sets below OWASP's minimum (19 MiB with t=2, or 7 MiB with t=5; p=1) are not offered.
"""

import argparse
import statistics
import time

import argon2

SETS = [
    ("OWASP minimum, seuil's default", 2, 19_456, 1),
    ("OWASP alternative / Keycloak", 5, 7_168, 1),
    ("OWASP 12 MiB", 3, 12_288, 1),
    ("46 MiB, t=1", 1, 47_104, 1),
    ("64 MiB, t=2", 2, 65_536, 1),
    ("Django 5.2 default", 2, 102_400, 8),
]


def measure(time_cost: int, memory: int, parallelism: int, rounds: int) -> list[float]:
    hasher = argon2.PasswordHasher(time_cost=time_cost, memory_cost=memory, parallelism=parallelism)
    encoded = hasher.hash("Lbmx4kr7Tq")
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        hasher.verify(encoded, "Lbmx4kr7Tq")
        samples.append(time.perf_counter() - started)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=40)
    rounds = parser.parse_args().rounds
    header = ("parameters", "t", "MiB", "p", "median ms", "p95 ms", "hash/s/core")
    print("{:<34} {:>2} {:>5} {:>2} {:>10} {:>8} {:>12}".format(*header))
    for label, t, m, p in SETS:
        samples = sorted(measure(t, m, p, rounds))
        median = statistics.median(samples)
        p95 = samples[int(0.95 * (len(samples) - 1))]
        print(
            f"{label:<34} {t:>2} {m / 1024:>5.0f} {p:>2} {median * 1000:>10.1f} {p95 * 1000:>8.1f}"
            f" {1 / median:>12.1f}"
        )


if __name__ == "__main__":
    main()
