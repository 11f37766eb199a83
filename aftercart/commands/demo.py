"""`aftercart demo`: the sample shop end to end (what `make demo` runs)."""

from __future__ import annotations

import argparse

from aftercart.commands.base import Command
from runtime.settings import Settings


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run the demo; non-zero when an expected message did not arrive."""
    from aftercart.demo.run import run_demo

    return run_demo(settings)


COMMAND = Command("demo", "publish a sample shop's orders end to end and print what arrived", run)
