"""`aftercart lag`: how far each consumer group is behind, per partition, and since when."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Sequence

from aftercart.commands.base import Command, positive_number
from operate.lag import GroupLag, age_text, as_json, default_groups, measure
from runtime.settings import Settings

OVER = 1  # --max: some group's total lag is over N
UNREACHABLE = 3  # Kafka could not be reached or did not answer

DESCRIPTION = """\
Per consumer group and partition: the committed offset, the end offset (where the next record
goes), the lag (records kept but not committed) and how long ago the committed offset took
its present value. By default the groups of every aftercart process: <prefix>-streams and
<prefix>-channel-email, -sms, -push.

The partitions shown are those of every topic the group has committed on or has assigned to a
member (not its own <group>-... topics: faust's table changelogs, never committed). A
partition with no commit counts everything it keeps as lag, as aftercart's consumers start
from the oldest record.

Kafka's OffsetFetch gives no time, so the age is read from Kafka's own log of commits,
__consumer_offsets: the time of the commit that moved the offset to its present value (a
client committing the same offset again does not reset it), by the broker's clock, against
this machine's. ">" marks a lower bound: the oldest commit of that offset still kept, when no
commit of an earlier offset is left to compare it with (the group's first commit, or older
records compacted away). "unknown": its commit was not found within --timeout. "-": nothing
committed.

--json prints one object per refresh, on one line: {"bootstrap", "groups": {GROUP: {"state",
"members", "lag", "partitions": [{"topic", "partition", "committed", "end", "lag",
"last_commit_age_s", "last_commit_age_exact"}]}}}, null for no commit or an unknown age."""

EPILOG = """\
exit status: 0 fine; 1 with --max N, some group's total lag is over N (with --watch, at the
last refresh before Ctrl-C); 2 bad arguments; 3 Kafka could not be reached or did not answer
(one line naming the address)."""


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def arguments(parser: argparse.ArgumentParser) -> None:
    """Groups, output, watching and the --max verdict."""
    parser.description = DESCRIPTION
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument(
        "--group",
        action="append",
        metavar="GROUP",
        help="this consumer group (any name; repeat for more) instead of aftercart's own",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object (per refresh)")
    parser.add_argument(
        "--max",
        type=_count,
        metavar="N",
        help="exit 1 when any group's total lag is over N, else 0 (for scripts and probes)",
    )
    parser.add_argument("--watch", action="store_true", help="refresh until Ctrl-C")
    parser.add_argument(
        "--interval", type=positive_number, default=2.0, metavar="S", help="--watch refresh (2 s)"
    )
    parser.add_argument(
        "--timeout",
        type=positive_number,
        default=10.0,
        metavar="S",
        help="longest wait for Kafka, and for reading the commit times, per refresh (10 s)",
    )


def table(groups: Sequence[GroupLag]) -> list[str]:
    """An aligned table, one line per partition and a total line per group."""
    lines = [["GROUP", "TOPIC", "PARTITION", "COMMITTED", "END", "LAG", "OFFSET MOVED"]]
    for g in groups:
        for r in g.rows:
            committed = "-" if r.committed is None else str(r.committed)
            lines.append(
                [g.group, r.topic, str(r.partition), committed, str(r.end), str(r.lag), age_text(r)]
            )
        lines.append([g.group, f"total ({g.summary})", "", "", "", str(g.total), ""])
    return align(lines, right={2, 3, 4, 5})


def align(lines: Sequence[Sequence[str]], right: set[int]) -> list[str]:
    """Columns padded to their widest cell, numbers to the right; no trailing blanks."""
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    out = []
    for line in lines:
        cells = [
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(line)
        ]
        out.append("  ".join(cells).rstrip())
    return out


def verdict(groups: Sequence[GroupLag], most: int | None) -> int:
    """0, or OVER when --max is given and some group's total lag is over it."""
    if most is not None and any(g.total > most for g in groups):
        return OVER
    return 0


def show(groups: Sequence[GroupLag], args: argparse.Namespace, bootstrap: str) -> None:
    """Print one refresh: JSON on one line, or the table (on a cleared screen when watching)."""
    if args.json:
        print(json.dumps(as_json(groups, bootstrap)), flush=True)
        return
    if args.watch and sys.stdout.isatty():
        print("\033[H\033[J", end="")
    if args.watch:
        print(f"{time.strftime('%H:%M:%S')}  every {args.interval:g}s; Ctrl-C stops\n")
    print("\n".join(table(groups)), flush=True)
    if any(not r.exact for g in groups for r in g.rows):
        print("\n>: at least this long; no commit of an earlier offset is kept (see --help)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Measure and print once, or every --interval seconds until Ctrl-C."""
    from kafka.errors import KafkaError

    from broker.errors import BrokerError

    # Failures are answered here (exit 3); kafka-python's own error lines would only repeat them.
    logging.getLogger("kafka").setLevel(logging.CRITICAL)
    bootstrap = settings.kafka_bootstrap
    groups = list(dict.fromkeys(args.group or default_groups(settings)))
    code = 0
    try:
        while True:
            try:
                found = measure(bootstrap, groups, args.timeout)
            except (KafkaError, BrokerError) as exc:
                print(f"aftercart lag: cannot reach Kafka at {bootstrap}: {exc}", file=sys.stderr)
                return UNREACHABLE
            show(found, args, bootstrap)
            code = verdict(found, args.max)
            if not args.watch:
                return code
            time.sleep(args.interval)
    except KeyboardInterrupt:
        return code


COMMAND = Command(
    "lag",
    "consumer group lag per partition, and how long since each committed offset moved",
    run,
    arguments,
)
