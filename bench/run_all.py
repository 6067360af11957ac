"""`make bench`: every benchmark script in bench/, one after the other, each against the
production settings (gunicorn, DEBUG=0, a fresh PostgreSQL database of its own), each adding
its figures to bench/RESULTS.md (`--append`) under one heading with the UTC date and time and
the machine (CPUs, RAM, load average, PostgreSQL version).

A benchmark is any bench/*.py except this file, common.py and names starting with "_"; it must
accept `--append PATH`. Its own options come from the environment variable
BENCH_<NAME>_ARGS, e.g. BENCH_BOOKING_RUSH_ARGS="--residents 1000 --clients 50".
    make bench                                  every benchmark with its defaults
    make bench BENCH_ARGS="--modest"            smaller runs (a shared or small machine)
    make bench BENCH_ARGS="--only queue_calls"  one of them
"""

import argparse
import os
import shlex
import subprocess
import sys
from pathlib import Path

from common import PY, ROOT, machine, say, utc_now

BENCH = ROOT / "bench"
NOT_BENCHMARKS = {"run_all.py", "common.py"}
# --modest: a few minutes in all on 2 shared cores.
MODEST = {
    "booking_rush": "--residents 1000 --clients 50 --healthz-requests 2000 --workers 2",
    "booking_floor": "--requests 1500 --clients 10,50,200 --workers 2",
    "queue_calls": "--clerks 10 --tickets 300 --workers 2",
    "stats_dashboard": "",
    "screens_push": "--rounds 5 --idle-seconds 10",
    "pdfs": "",
}


def benchmarks() -> list[Path]:
    return sorted(
        p for p in BENCH.glob("*.py") if p.name not in NOT_BENCHMARKS and not p.name.startswith("_")
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default=str(BENCH / "RESULTS.md"))
    parser.add_argument("--only", action="append", help="a benchmark's name (repeatable)")
    parser.add_argument("--modest", action="store_true", help="smaller runs")
    args = parser.parse_args()
    chosen = [p for p in benchmarks() if not args.only or p.stem in args.only]
    pg = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
    with open(args.results, "a", encoding="utf-8") as results:
        results.write(
            f"\n## `make bench`, {utc_now()}\n\n{machine(pg)}. The machine is shared: other "
            "engineers' test suites may be running, so throughput is noisy; the server CPU per "
            "request is the steadier figure.\n"
        )
    failed = []
    for script in chosen:
        extra = os.environ.get(f"BENCH_{script.stem.upper()}_ARGS")
        if extra is None and args.modest:
            extra = MODEST.get(script.stem, "")
        command = [PY, str(script), "--append", args.results, *shlex.split(extra or "")]
        say(f"running {' '.join(command[1:])}")
        if subprocess.run(command, cwd=ROOT).returncode != 0:  # noqa: S603 - our own scripts
            failed.append(script.name)
    say(f"figures appended to {args.results}")
    if failed:
        say(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
