"""Import rate of `seuil import_people` on generated people, on a fresh database.

    .venv/bin/python bench/import_people.py [--rows 100000] [--postgres URL]

Generates a September-sized feed (mostly students, many homonyms, accents), imports it into a
fresh database (SQLite in a temporary file, or a throw-away database created on the PostgreSQL
server given with --postgres), then re-imports it unchanged. Prints the
time and rows/s of each run; the goal is 100,000 rows in 10 s or less on SQLite.
"""

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from throwaway import SIGNING_KEY, fresh_database

FIRST = (
    "Jean Marie Éloïse Zoë Noël François Anne-Sophie Jean-Pierre Léa Hugo Chloé Lucas Inès Théo "
    "Maël Jade Louis Manon Gabriel Camille"
).split()
LAST = (
    "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent "
    "Lefèvre-Martin Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard André "
    "Lefebvre Mercier Dupont Lambert Bonnet François Martínez Œuvray Nguyễn"
).split()
PARTICLES = ["", "", "", "", "de ", "de la ", "Le ", "D'"]
HEADER = (
    "status;external_id;civility;first_name;last_name;birth_name;birth_date;start_date;end_date;"
    "personal_email\n"
)


def feed(rows: int) -> str:
    rng = random.Random(2026)  # the same feed on every run, for comparable figures
    lines = [HEADER]
    statuses = ["etudiant"] * 17 + ["administratif", "enseignant", "enseignant-chercheur"]
    for number in range(rows):
        status = rng.choice(statuses)
        first, last = rng.choice(FIRST), rng.choice(PARTICLES) + rng.choice(LAST)
        birth = f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1960, 2007)}"
        email = f"p{number}@example.org" if rng.random() < 0.8 else ""
        end = "2027-08-31" if status == "etudiant" else ""
        lines.append(f"{status};{number:08d};;{first};{last};;{birth};2026-09-01;{end};{email}\n")
    return "".join(lines)


def seuil(env: dict[str, str], *args: str) -> tuple[float, float]:
    """Wall-clock and CPU (user + system) seconds of a `seuil` command, process start included.
    The CPU figure holds when other work shares the machine; the wall-clock one does not."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "seuil", *args], env=env, check=True, stdout=subprocess.DEVNULL
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--postgres", metavar="URL", help="a PostgreSQL server to use instead of SQLite"
    )
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, fresh_database(options.postgres) as url:
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "SEUIL_SECRET_KEY": "bench-" + "x" * 50,
            "SEUIL_ENV_FILE": "",
            "SEUIL_OIDC_KEY_FILE": SIGNING_KEY,
        }
        path = Path(folder) / "people.csv"
        path.write_text(feed(options.rows), encoding="utf-8")
        seuil(env, "migrate", "--verbosity", "0")
        first = seuil(env, "import_people", str(path))
        second = seuil(env, "import_people", str(path))
    engine = url.split(":", 1)[0]
    print(f"rows            {options.rows}")
    print(f"database        {engine}")
    print(f"load average    {' '.join(f'{x:.2f}' for x in os.getloadavg())} (after the runs)")
    for name, (wall, cpu) in (("first import", first), ("re-import", second)):
        print(
            f"{name:<15} {wall:.2f} s  {options.rows / wall:,.0f} rows/s, {cpu:.2f} s of CPU"
            " (with process start)"
        )
    if engine == "sqlite" and options.rows == 100_000:
        verdict = "met" if first[0] <= 10 else "MISSED"
        print(f"goal            ≤ 10 s for 100,000 rows on SQLite: {verdict}")


if __name__ == "__main__":
    main()
