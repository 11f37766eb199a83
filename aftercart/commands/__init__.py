"""The `aftercart` command table: one module per command, listed here in --help's order.

A new command is one module under aftercart/commands/ that defines COMMAND, named in the import
and in the table below.
"""

from __future__ import annotations

from aftercart.commands import (
    bench,
    demo,
    dlq,
    explain,
    gateway,
    kafka,
    lag,
    push_token,
    render,
    replay,
    sandbox,
    send_test,
    status,
    templates,
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
        status,
        demo,
        kafka,
        topics,
        sandbox,
        gateway,
        worker,
        explain,
        replay,
        send_test,
        dlq,
        lag,
        vapid_keys,
        push_token,
        render,
        templates,
        bench,
    )
}
