"""`python -m bench` (also `aftercart bench`, `make bench`): run the benchmark's passes."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from aftercart.cli import configure_logging, guarded
from bench.run import run_bench
from runtime.settings import Settings


def parser() -> argparse.ArgumentParser:
    """The benchmark's options; settings come from AFTERCART_* as for every command."""
    p = argparse.ArgumentParser(
        prog="aftercart bench",
        description="Measure throughput and latency on a broker, sandbox and pipeline of the "
        "bench's own, print the figures and write them to a results file (README, Benchmark).",
    )
    p.add_argument("--events", type=int, default=20_000, help="events in the throughput pass")
    p.add_argument("--output", default="bench/results/latest.json", help="results file")
    p.add_argument(
        "--only",
        choices=("all", "pipeline", "ingest"),
        default="all",
        help="run only the pipeline passes or only the gateway ingest pass (default: all)",
    )
    p.add_argument(
        "--profile",
        metavar="DIR",
        type=Path,
        help="sample each worker and the sandbox with py-spy during the throughput pass and "
        "write their collapsed stacks and a summary of each to DIR (the run's figures then "
        "include py-spy's own cost)",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 130 when interrupted, 1 when a part of the stack did not start."""
    args = parser().parse_args(argv)
    settings = Settings()
    configure_logging(settings)
    return guarded(
        lambda: run_bench(
            settings, events=args.events, output=args.output, only=args.only, profile=args.profile
        ),
        "aftercart bench",
    )


if __name__ == "__main__":
    raise SystemExit(main())
