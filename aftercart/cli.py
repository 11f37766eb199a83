"""The `aftercart` command: the command table (aftercart/commands/) behind one argparse parser."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Callable, Sequence
from types import FrameType

import uvloop
from pydantic import ValidationError

from aftercart.commands import COMMANDS
from runtime.logs import use_log_format
from runtime.settings import Settings


def parser() -> argparse.ArgumentParser:
    """The command line; every option also has an AFTERCART_* environment variable."""
    p = argparse.ArgumentParser(
        prog="aftercart",
        description="Kafka-native pipeline that keeps a shop's customers informed after they buy. "
        "Settings come from AFTERCART_* environment variables (see README).",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS.values():
        command.arguments(
            sub.add_parser(command.name, help=command.help, add_help=not command.passthrough)
        )
    return p


def configure_logging(settings: Settings) -> None:
    """One log format for every process (settings.log_format, masked: runtime/logs.py); Kafka
    clients' connection chatter kept out."""
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    use_log_format(logging.root.handlers, settings.log_format)
    for chatty in ("kafka", "aiokafka"):
        logging.getLogger(chatty).setLevel(logging.ERROR)


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # unwind through the same clean-up as Ctrl-C


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `aftercart` command."""
    p = parser()
    args, rest = p.parse_known_args(argv)
    command = COMMANDS[args.command]
    if rest and not command.passthrough:
        p.error(f"unrecognized arguments: {' '.join(rest)}")
    args.rest = rest
    try:
        settings = Settings()
    except ValidationError as exc:
        for error in exc.errors():
            name = "AFTERCART_" + str(error["loc"][0]).upper() if error["loc"] else "settings"
            said = str(error["msg"]).removeprefix("Value error, ")
            print(
                f"aftercart: {said if said.startswith(name) else f'{name}: {said}'}",
                file=sys.stderr,
            )
        return 2
    configure_logging(settings)
    if command.service:
        # libuv's loop: the long-running services spend most of their time in socket I/O.
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        return command.run(args, settings)
    return guarded(lambda: command.run(args, settings), "aftercart")


def guarded(run: Callable[[], int], prog: str) -> int:
    """Run a command that starts things: SIGTERM unwinds like Ctrl-C, through its clean-up,
    and an error meant for people (BrokerError, StackError) is one line, not a traceback."""
    signal.signal(signal.SIGTERM, _terminate)
    try:
        return run()
    except KeyboardInterrupt:
        print("\ninterrupted; everything started here has been stopped", file=sys.stderr)
        return 130
    except RuntimeError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
