"""`aftercart sandbox`: the provider sandbox alone, in the foreground."""

from __future__ import annotations

import argparse

from aftercart.commands.base import Command
from runtime.settings import Settings


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Serve the sandbox until SIGINT/SIGTERM."""
    from sandbox.server import run_sandbox

    run_sandbox(
        settings.sandbox_host,
        settings.sandbox_port,
        faults=settings.sandbox_faults,
        smtp_port=settings.sandbox_smtp_port,
    )
    return 0


COMMAND = Command(
    "sandbox", "run the provider sandbox (SendGrid, Twilio, web push)", run, service=True
)
