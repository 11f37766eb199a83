"""`aftercart up`: broker, sandbox, gateway and every pipeline process until stopped."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from types import FrameType

from aftercart.commands.base import Command
from aftercart.scale import MOST, ROLES, worker_counts
from runtime.settings import Settings

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

DESCRIPTION = """\
Starts Kafka, the provider sandbox, the webhook gateway and the pipeline workers (streams,
email, sms, push), prints where each serves, and keeps them running: a process that exits is
started again after a delay that doubles from 1 s to 30 s while it keeps exiting soon after
its start (back to 1 s once it has stayed up a minute), and why it exited is logged with the
end of its log; `aftercart status` shows each process's restarts and last exit. SIGINT
(Ctrl-C), SIGTERM and SIGHUP stop everything: each process gets SIGTERM and time to finish
(20 s for the sandbox, the gateway and the workers, 30 s for Kafka), then is killed.

--workers streams=2,email=2 runs two processes of those roles (one of each role not named):
the processes of a role form one consumer group and share its topic's partitions
(AFTERCART_TOPIC_PARTITIONS, 4 by default), so a role gains from at most that many."""


def _stop(signum: int, frame: FrameType | None) -> None:
    # A second signal while everything is being stopped must not cut the clean-up short.
    for each in STOP_SIGNALS:
        signal.signal(each, signal.SIG_IGN)
    raise KeyboardInterrupt  # unwinds through the stack's clean-up, as Ctrl-C would


def stop_on_signals() -> None:
    """Stop cleanly on SIGINT, SIGTERM and SIGHUP, also when started with one ignored (a
    script's background job inherits SIGINT ignored, and Python then leaves it so)."""
    for each in STOP_SIGNALS:
        signal.signal(each, _stop)


def arguments(parser: argparse.ArgumentParser) -> None:
    """--workers; the description says what it keeps running and how it stops."""
    parser.description = DESCRIPTION
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument(
        "--workers",
        type=worker_counts,
        default={},
        metavar="ROLE=N[,ROLE=N]",
        help=f"processes per pipeline role ({', '.join(ROLES)}), 1 to {MOST}; 1 where not named",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Start the whole local system, print where each service listens, keep it running."""
    from aftercart.stack import Stack

    stop_on_signals()
    settings = settings.model_copy(
        update={"push_allow_sandbox": True, "receipts_accept_sandbox": True}
    )
    for role, count in args.workers.items():
        if count > settings.topic_partitions:
            print(
                f"aftercart up: {role}={count}, but its topic has {settings.topic_partitions} "
                f"partitions: the processes beyond {settings.topic_partitions} get none and "
                "wait as spares",
                file=sys.stderr,
            )
    with Stack(settings, settings.data_dir / "up") as stack:
        stack.start(counts=args.workers)
        lines = stack.urls()
        width = max(len(service) for service, _ in lines)
        for service, url in lines:
            print(f"{service:{width}} {url}", flush=True)
        print("running; Ctrl-C stops everything", flush=True)
        while True:
            stack.tend()
            time.sleep(0.5)


COMMAND = Command(
    "up",
    "run broker, sandbox, gateway and every pipeline process (restarting any that exits) "
    "until Ctrl-C",
    run,
    arguments,
)
