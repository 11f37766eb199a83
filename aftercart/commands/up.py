"""`aftercart up`: broker, sandbox, gateway and every pipeline process until Ctrl-C."""

from __future__ import annotations

import argparse
import time

from aftercart.commands.base import Command
from runtime.settings import Settings


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Start the whole local system, print where each service listens, keep it running."""
    from aftercart.stack import Stack

    settings = settings.model_copy(update={"push_allow_sandbox": True})
    with Stack(settings, settings.data_dir / "up") as stack:
        stack.start()
        lines = stack.urls()
        width = max(len(service) for service, _ in lines)
        for service, url in lines:
            print(f"{service:{width}} {url}", flush=True)
        print("running; Ctrl-C stops everything", flush=True)
        while True:
            stack.check()
            time.sleep(1)


COMMAND = Command("up", "run broker, sandbox, gateway and every pipeline process until Ctrl-C", run)
