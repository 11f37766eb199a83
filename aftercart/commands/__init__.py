"""The `aftercart` command table: one module per command, listed here in --help's order.

A new command is one module under aftercart/commands/ that defines COMMAND, and one line below.
"""

from __future__ import annotations

from aftercart.commands import (
    bench,
    demo,
    dlq,
    explain,
    gateway,
    kafka,
    render,
    replay,
    sandbox,
    topics,
    up,
    vapid_keys,
    worker,
)
from aftercart.commands.base import Command

COMMANDS: dict[str, Command] = {
    module.COMMAND.name: module.COMMAND
    for module in (
        up,
        demo,
        kafka,
        topics,
        sandbox,
        gateway,
        worker,
        explain,
        replay,
        dlq,
        vapid_keys,
        render,
        bench,
    )
}
