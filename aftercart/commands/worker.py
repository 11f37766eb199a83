"""`aftercart worker NAME`: one pipeline process in the foreground."""

from __future__ import annotations

import argparse
import sys

from aftercart.commands.base import Command
from runtime.settings import Settings
from schemas.topics import CHANNELS

WORKERS = ("streams", *CHANNELS)


def arguments(parser: argparse.ArgumentParser) -> None:
    """Which process."""
    parser.add_argument("name", choices=WORKERS)


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Build the named faust app and run it until SIGINT/SIGTERM. Refuses to start (exit 2)
    with real provider credentials and no shop name or URL, and (exit 1) a channel worker
    whose templates do not all render, naming each broken file and line."""
    from runtime.apps import run_worker

    prog = f"aftercart worker {args.name}"
    if refusal := settings.unbranded():
        print(f"{prog}: {refusal}", file=sys.stderr)
        return 2
    if args.name == "streams":
        from streams.app import create_app

        run_worker(create_app(settings), settings)
        return 0
    from channels.checks import check_templates, renderer_for
    from channels.overlay import OverlayError
    from channels.worker import create_channel_app

    try:
        renderer = renderer_for(settings)
    except OverlayError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    if problems := check_templates(renderer, settings.templates_dir):
        for problem in problems:
            print(f"{prog}: broken template {problem}", file=sys.stderr)
        return 1
    run_worker(create_channel_app(settings, args.name, renderer=renderer), settings)
    return 0


COMMAND = Command(
    "worker", "run one pipeline process in the foreground", run, arguments, service=True
)
