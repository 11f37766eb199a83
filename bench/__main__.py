"""`python -m bench` (also `aftercart bench`, `make bench`): run the benchmark's passes."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from aftercart.cli import configure_logging, guarded
from aftercart.scale import worker_counts
from bench.run import Options, run_bench
from runtime.settings import Settings

SCALED = "email=2,sms=2,push=2"


def positive(text: str) -> int:
    """An argparse type: a whole number above 0."""
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"a whole number above 0, not {text!r}")
    return int(text)


def parser() -> argparse.ArgumentParser:
    """The benchmark's options; settings come from AFTERCART_* as for every command."""
    p = argparse.ArgumentParser(
        prog="aftercart bench",
        description="Measure throughput and latency on a broker, sandbox and pipeline of the "
        "bench's own, print the figures and write them to a results file (README, Benchmark).",
    )
    p.add_argument(
        "--events", type=positive, default=20_000, help="events in the throughput pass (20,000)"
    )
    p.add_argument(
        "--offered",
        type=positive,
        default=1_000,
        help="events a second offered in the latency pass, for 20 s (1,000; the runs before "
        "28 in bench/HISTORY.md offered 500)",
    )
    p.add_argument(
        "--ingest-rate",
        type=positive,
        default=3_000,
        help="signed webhooks a second in the ingest pass's open loop, for 15 s (3,000; the "
        "runs before 28 offered 1,600)",
    )
    p.add_argument("--output", default="bench/results/latest.json", help="results file")
    p.add_argument(
        "--only",
        choices=("all", "pipeline", "throughput", "ingest"),
        default="all",
        help="run only the pipeline passes, only the baseline and throughput passes (a quick "
        "comparison of two versions) or only the gateway ingest pass (default: all); the "
        "figures of passes not run are kept from the results file",
    )
    p.add_argument(
        "--profile",
        metavar="DIR",
        type=Path,
        help="sample each worker and the sandbox with py-spy during the throughput pass and "
        "write their collapsed stacks and a summary of each to DIR (the run's figures then "
        "include py-spy's own cost)",
    )
    p.add_argument(
        "--scale",
        nargs="?",
        const=worker_counts(SCALED),
        type=worker_counts,
        metavar="ROLE=N[,ROLE=N]",
        help=f"after the other passes, run the throughput pass again with more processes of "
        f"some roles, added beside the one of each ({SCALED} when no count is given), and "
        f"report it next to the one-each figure",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 130 when interrupted, 1 when a part of the stack did not start."""
    p = parser()
    args = p.parse_args(argv)
    if args.scale and args.only == "ingest":
        p.error("--scale runs a pipeline pass: it cannot go with --only ingest")
    options = Options(
        args.events, args.only, args.profile, args.scale or {}, args.offered, args.ingest_rate
    )
    settings = Settings()
    configure_logging(settings)
    return guarded(
        lambda: run_bench(settings, options, args.output),
        "aftercart bench",
    )


if __name__ == "__main__":
    raise SystemExit(main())
