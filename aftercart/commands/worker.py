"""`aftercart worker NAME`: one pipeline process in the foreground."""

from __future__ import annotations

import argparse

from aftercart.commands.base import Command
from runtime.settings import Settings
from schemas.topics import CHANNELS

WORKERS = ("streams", *CHANNELS)


def arguments(parser: argparse.ArgumentParser) -> None:
    """Which process."""
    parser.add_argument("name", choices=WORKERS)


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Build the named faust app and run it until SIGINT/SIGTERM."""
    from runtime.apps import run_worker

    if args.name == "streams":
        from streams.app import create_app

        run_worker(create_app(settings), settings)
    else:
        from channels.worker import create_channel_app

        run_worker(create_channel_app(settings, args.name), settings)
    return 0


COMMAND = Command(
    "worker", "run one pipeline process in the foreground", run, arguments, service=True
)
