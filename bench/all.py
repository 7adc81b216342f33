"""`make bench`: every benchmark in turn, then one summary. Each prints its own figures and the
machine it ran on. Size "region" (the default) takes a few minutes; "tiny" only proves the
benchmarks still run (CI).

    python -m bench.all [--size region|tiny] [--only board,kpi,...]
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time

from bench.common import heading, machine, setup

BENCHMARKS = [
    "board",
    "kpi",
    "transitions",
    "fanout",
    "reconnect",
    "casefinding",
    "caseload",
    "notifications",
    "fhir",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", choices=["region", "tiny"], default="region")
    parser.add_argument("--only", default=",".join(BENCHMARKS))
    args = parser.parse_args()
    chosen = [name for name in args.only.split(",") if name]
    unknown = set(chosen) - set(BENCHMARKS)
    if unknown:
        sys.exit(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    setup(args.size)
    failed = []
    timings = {}
    for name in chosen:
        start = time.monotonic()
        module = importlib.import_module(f"bench.{name}")
        try:
            module.run(args.size)
        except SystemExit as exc:  # a benchmark found something wrong (not just slow)
            if exc.code:
                failed.append(name)
        except Exception as exc:
            print(f"{name}: {exc!r}", file=sys.stderr)
            failed.append(name)
        timings[name] = time.monotonic() - start
    heading(f"Done at size {args.size}")
    print(machine())
    for name, seconds in timings.items():
        print(f"  {name:12s} {seconds:6.1f} s  {'FAILED' if name in failed else 'ok'}")
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
