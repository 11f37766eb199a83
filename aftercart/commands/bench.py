"""`aftercart bench`: the benchmark, `python -m bench` under the command's name.

The benchmark stands above the composition root (it starts the same stack the demo does), so
the CLI hands its arguments, --help included, to `python -m bench` instead of importing it.
"""

from __future__ import annotations

import argparse
import os
import sys

from aftercart.commands.base import Command
from runtime.settings import Settings


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Replace this process with `python -m bench ARGS`."""
    argv = [sys.executable, "-m", "bench", *args.rest]
    os.execv(sys.executable, argv)
    return 1  # not reached: execv does not return


COMMAND = Command(
    "bench",
    "measure throughput and latency; write a results file (see aftercart bench --help)",
    run,
    passthrough=True,
)
