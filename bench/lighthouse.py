"""Lighthouse's mobile audit of seuil's public pages, served as in production.

    .venv/bin/python bench/lighthouse.py [--pages /gestion-de-compte/validation-personnel/,...]
        [--lighthouse "npx --yes lighthouse@12.2.3"] [--runs 3]

Serves a fresh SQLite database with gunicorn (debug off, whitenoise's compressed and hashed
static files) on 127.0.0.1 only, and runs Lighthouse 12 with its default mobile profile
(simulated slow 4G, 4x CPU slowdown) in Debian's Chromium (CHROME_PATH, /usr/bin/chromium by
default). Prints, per page, the median over the runs of the performance and accessibility scores,
the largest contentful paint and the total blocking time; the reports go to var/bench/lighthouse/.
"""

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
from pathlib import Path

from load import ROOT, serve, server_env
from throwaway import fresh_database

PAGES = "/,/gestion-de-compte/se-connecter/,/gestion-de-compte/validation-personnel/"


def run_lighthouse(command: list[str], url: str, out: Path) -> bool:
    return (
        subprocess.run(
            [
                *command,
                url,
                "--quiet",
                "--only-categories=performance,accessibility",
                "--output=json",
                f"--output-path={out}",
                "--chrome-flags=--headless=new --no-sandbox",
            ],
            check=False,
            env={**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")},
        ).returncode
        == 0
    )


def audit(command: list[str], url: str, out: Path) -> dict[str, float]:
    for _attempt in range(3):  # on a busy machine Chromium sometimes misses Lighthouse's timeouts
        if run_lighthouse(command, url, out):
            break
    else:
        raise SystemExit(f"Lighthouse failed three times on {url}")
    report = json.loads(out.read_text())
    audits, categories = report["audits"], report["categories"]
    return {
        "performance": round(100 * categories["performance"]["score"]),
        "accessibility": round(100 * categories["accessibility"]["score"]),
        "lcp_s": round(audits["largest-contentful-paint"]["numericValue"] / 1000, 2),
        "tbt_ms": round(audits["total-blocking-time"]["numericValue"]),
        "bytes": audits["total-byte-weight"]["numericValue"],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", default=PAGES)
    parser.add_argument(
        "--lighthouse",
        default=os.environ.get("LIGHTHOUSE", "npx --yes lighthouse@12.2.3"),
        help="the command that runs Lighthouse 12",
    )
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    options.workers, options.worker_class, options.threads = 2, "sync", 1
    out = ROOT / "var" / "bench" / "lighthouse"
    out.mkdir(parents=True, exist_ok=True)
    with fresh_database(None) as url:
        env = server_env(url)
        for step in (["migrate"], ["collectstatic", "--no-input"]):
            subprocess.run([sys.executable, "-m", "seuil", *step, "-v", "0"], env=env, check=True)
        results: dict[str, dict[str, object]] = {}
        with serve("seuil.wsgi:application", env, options) as server:
            for page in options.pages.split(","):
                runs = [
                    audit(
                        shlex.split(options.lighthouse),
                        server.base + page,
                        out / f"{page.strip('/').replace('/', '-') or 'home'}-{n}.json",
                    )
                    for n in range(options.runs)
                ]
                summary: dict[str, object] = {
                    k: statistics.median(r[k] for r in runs) for k in runs[0]
                }
                summary["lcp_s_range"] = [
                    min(r["lcp_s"] for r in runs),
                    max(r["lcp_s"] for r in runs),
                ]
                summary["performance_range"] = [
                    min(r["performance"] for r in runs),
                    max(r["performance"] for r in runs),
                ]
                results[page] = summary
                print(page, results[page], flush=True)
    (out / "summary.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
