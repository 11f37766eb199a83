"""`aftercart replay TOPIC`: put a topic's selected records back into the pipeline, safely."""

from __future__ import annotations

import argparse
import getpass
import json
import socket
import sys
from datetime import UTC, datetime
from typing import Any

from aftercart.commands.base import Command, positive_number, unreachable
from aftercart.commands.replay_view import Bar, print_shown, print_table, rendered
from runtime.settings import Settings

DESCRIPTION = """Put a topic's selected records back into the pipeline, each to the partition it
came from with its own key and an aftercart-replay header (who, when, what was selected).
Replaying `events` decides again with what is known now (without counting the events into
profiles twice); replaying `notify.<channel>` delivers the notifications as they were decided,
except those the customer has switched off since. The channel workers' delivery ledgers decide:
a notification already sent is not sent again, and is recorded as suppressed by the replay.
Running the same replay again, or one that was stopped, is safe. Exit codes: 0 done, 2 bad
arguments, 3 Kafka cannot be reached, 130 stopped (Ctrl-C; it says where), 1 Kafka did not
acknowledge some records put back (running it again is safe)."""


def arguments(parser: argparse.ArgumentParser) -> None:
    """The topic, the selection, and what to do with it."""
    parser.description = DESCRIPTION
    parser.add_argument(
        "topic",
        metavar="TOPIC",
        help="events, notify.email, notify.sms, notify.push (or full names)",
    )
    parser.add_argument("--since", help="records stamped since: ISO-8601 time or 90s, 30m, 2h, 7d")
    parser.add_argument("--until", help="records stamped until (same forms)")
    parser.add_argument(
        "--from-offset",
        action="append",
        default=[],
        metavar="PARTITION:OFFSET",
        help="read only the partitions named, from there (repeat; what a stopped replay prints)",
    )
    parser.add_argument(
        "--customer", action="append", default=[], help="only this customer id (repeat)"
    )
    parser.add_argument(
        "--order",
        action="append",
        default=[],
        help="only this order: id, its last part, or number #1001 (repeat)",
    )
    parser.add_argument(
        "--type",
        action="append",
        default=[],
        help="only this event type, e.g. order.placed (repeat)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="read and decide; publish and send nothing"
    )
    parser.add_argument(
        "--show",
        type=int,
        default=0,
        metavar="N",
        help="print N of the messages that would be sent, rendered",
    )
    parser.add_argument(
        "--resend",
        action="store_true",
        help="send again what was sent, under new ids that point at the originals (asks first)",
    )
    parser.add_argument(
        "--resend-tag",
        default="1",
        help="new ids derive from it: the same tag twice sends nothing twice (default 1)",
    )
    parser.add_argument(
        "--rate",
        type=positive_number,
        metavar="N",
        help="put back at most N records a second (default: as fast as Kafka takes them)",
    )
    parser.add_argument("--yes", action="store_true", help="do not ask before --resend")
    parser.add_argument("--json", action="store_true", help="print one JSON summary object")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Check the arguments, then read, judge and put back; see DESCRIPTION for exit codes."""
    from operate.selection import source
    from schemas.topics import Topics

    topics = Topics(settings.topic_prefix, settings.topic_partitions)
    now = datetime.now(UTC)
    try:
        chosen = source(args.topic, topics)
        selection = _selection(args, now)
    except ValueError as exc:
        print(f"aftercart replay: {exc}", file=sys.stderr)
        return 2
    if args.resend and not args.dry_run and not _confirmed(args):
        return 2
    if unreachable(settings, "aftercart replay"):
        return 3
    return _replay(args, settings, topics, chosen, selection, now)


def _replay(
    args: argparse.Namespace,
    settings: Settings,
    topics: Any,
    chosen: Any,
    selection: Any,
    now: datetime,
) -> int:
    from operate.replay import Tally
    from operate.republish import NotAcknowledged, prepare, replay
    from operate.scan import Progress

    run = prepare(
        settings,
        topics,
        chosen,
        selection,
        by=f"{getpass.getuser()}@{socket.gethostname()}",
        now=now,
        dry_run=args.dry_run,
        resend=args.resend_tag if args.resend else None,
        show=args.show,
        rate=args.rate,
    )
    tally, progress = Tally(), Progress()
    bar = Bar(enabled=sys.stderr.isatty() and not args.json)
    try:
        with bar:
            replay(run, tally, progress, bar.tick)
    except KeyboardInterrupt:
        print(
            f"\naftercart replay: stopped; to go on: --from-offset for each of {progress.where()}",
            file=sys.stderr,
        )
        _report(args, tally, run)
        return 130
    except NotAcknowledged as exc:
        print(f"aftercart replay: {exc}", file=sys.stderr)
        _report(args, tally, run)
        return 1
    _report(args, tally, run)
    return 0


def _report(args: argparse.Namespace, tally: Any, run: Any) -> None:
    summary = tally.as_json() | {"replay": run.replay_id, "dry_run": run.dry_run}
    shown = rendered(tally.shown) if args.show else []
    if args.json:
        print(json.dumps(summary | ({"shown": shown} if args.show else {}), indent=2))
        return
    print_table(summary)
    print_shown(shown)


def _selection(args: argparse.Namespace, now: datetime) -> Any:
    from operate.selection import Selection, parse_offset
    from operate.timespec import time_range

    since, until = time_range(args.since, args.until, now, ("--since", "--until"))
    offsets = {}
    for text in args.from_offset:
        try:
            partition, offset = parse_offset(text)
        except ValueError as exc:
            raise ValueError(f"--from-offset: {exc}") from None
        offsets[partition] = offset
    return Selection(
        since=since,
        until=until,
        from_offsets=offsets,
        customers=frozenset(args.customer),
        orders=frozenset(args.order),
        types=frozenset(args.type),
    )


def _confirmed(args: argparse.Namespace) -> bool:
    if args.yes:
        return True
    if not sys.stdin.isatty():
        print(
            "aftercart replay: --resend sends messages again: confirm with --yes", file=sys.stderr
        )
        return False
    answer = input("--resend sends every selected message again, under new ids. Go on? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


COMMAND = Command(
    "replay", "put a topic's selected records back into the pipeline, safely", run, arguments
)
