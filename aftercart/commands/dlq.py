"""`aftercart dlq list|show|redrive`: the dead letters, one of them whole, and putting them back."""

from __future__ import annotations

import argparse
import getpass
import json
import socket
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aftercart.commands.base import Command, unreachable
from runtime.settings import Settings

REDRIVE_HELP = """Put dead letters back where they failed: a notification to its channel's retry
topic, due now, with every attempt so far (the channel worker's delivery ledger sends nothing
twice; should it fail again it comes back with its whole history); a message that could not be
read to the topic and partition it came from. A webhook the gateway could not map cannot be
redriven. Say which with --id, --reason or --since (they combine: all must hold)."""


def arguments(parser: argparse.ArgumentParser) -> None:
    """list, show ID, redrive."""
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = sub.add_parser(
        "list", help="dead letters counted by stage and reason, newest first (hides redriven)"
    )
    listing.add_argument("--all", action="store_true", help="count redriven ones too")
    listing.add_argument("--json", action="store_true", help="print one JSON object")
    show = sub.add_parser(
        "show", help="one dead letter whole: reason, every attempt, the original decoded"
    )
    show.add_argument("id", metavar="ID", help="PARTITION:OFFSET, as `dlq list --json` gives")
    show.add_argument("--json", action="store_true", help="print one JSON object")
    redrive = sub.add_parser(
        "redrive", help="put dead letters back where they failed", description=REDRIVE_HELP
    )
    redrive.add_argument("--id", action="append", default=[], help="PARTITION:OFFSET (repeat)")
    redrive.add_argument("--reason", help="only those whose reason contains this (any case)")
    redrive.add_argument("--since", help="only those failed since: ISO-8601 time or 2h, 30m, 7d")
    redrive.add_argument("--all", action="store_true", help="also those redriven before")
    redrive.add_argument(
        "--dry-run", action="store_true", help="say what would go where; write nothing"
    )
    redrive.add_argument("--json", action="store_true", help="print one JSON summary")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """0 done, 1 no such dead letter, 2 bad arguments, 3 Kafka cannot be reached."""
    from schemas.topics import Topics

    if unreachable(settings, "aftercart dlq"):
        return 3
    topics = Topics(settings.topic_prefix, settings.topic_partitions)
    actions: dict[str, Callable[[argparse.Namespace, Settings, Topics], int]] = {
        "list": _list,
        "show": _show,
        "redrive": _redrive,
    }
    return actions[args.action](args, settings, topics)


def _list(args: argparse.Namespace, settings: Settings, topics: Any) -> int:
    from operate.deadletters import groups
    from operate.redrive import read_entries

    entries = read_entries(settings.kafka_bootstrap, topics)
    shown = [e for e in entries if args.all or e.redriven is None]
    found = groups(shown)
    if args.json:
        _print_json(
            {
                "total": len(shown),
                "redriven_hidden": len(entries) - len(shown),
                "groups": [
                    {
                        "stage": g.stage,
                        "reason": g.reason,
                        "count": len(g.ids),
                        "newest": g.newest.isoformat(),
                        "oldest": g.oldest.isoformat(),
                        "ids": g.ids,
                    }
                    for g in found
                ],
            }
        )
        return 0
    now = datetime.now(UTC)
    print(f"{'COUNT':>6}  {'NEWEST':>8}  {'OLDEST':>8}  {'STAGE':<14} REASON")
    for g in found:
        newest, oldest = _age(now - g.newest), _age(now - g.oldest)
        print(f"{len(g.ids):>6}  {newest:>8}  {oldest:>8}  {g.stage:<14} {g.reason[:120]}")
    hidden = len(entries) - len(shown)
    note = f" ({hidden} redriven not shown: --all)" if hidden else ""
    print(f"{len(shown)} dead letters{note}")
    return 0


def _show(args: argparse.Namespace, settings: Settings, topics: Any) -> int:
    from operate.deadletters import parse_id
    from operate.redrive import decoded, read_entries

    try:
        wanted = parse_id(args.id)
    except ValueError as exc:
        print(f"aftercart dlq show: ID: {exc}", file=sys.stderr)
        return 2
    entries = read_entries(settings.kafka_bootstrap, topics)
    entry = next((e for e in entries if e.id == wanted), None)
    if entry is None:
        print(
            f"aftercart dlq show: no dead letter {wanted} on {topics.deadletter}", file=sys.stderr
        )
        return 1
    record = entry.record
    original = decoded(record.original())
    if args.json:
        redriven = entry.redriven
        _print_json(
            record.model_dump(mode="json", exclude={"original_b64"})
            | {"id": entry.id, "original": original}
            | {"redriven": None if redriven is None else vars(redriven) | {"at": str(redriven.at)}}
        )
        return 0
    print(f"dead letter {entry.id}: {record.reason}")
    place = f"{record.topic} {record.partition}:{record.offset}"
    print(f"  stage {record.stage}, from {place}, key {record.key}")
    print(f"  failed at {record.failed_at.isoformat()}")
    for n, attempt in enumerate(record.attempts, 1):
        code = f" [{attempt.code}]" if attempt.code else ""
        print(f"  attempt {n} at {attempt.at.isoformat()}: {attempt.kind}{code}: {attempt.error}")
    if entry.redriven is not None:
        r = entry.redriven
        print(f"  redriven at {r.at.isoformat()} by {r.by} to {r.topic}")
    print("  original:")
    text = original if isinstance(original, str) else json.dumps(original, indent=2)
    print("\n".join(f"    {line}" for line in text.splitlines()))
    return 0


def _redrive(args: argparse.Namespace, settings: Settings, topics: Any) -> int:
    from operate.deadletters import parse_id
    from operate.redrive import plan, read_entries, redrive, select, summary
    from operate.timespec import parse_when

    if not (args.id or args.reason or args.since):
        print(
            "aftercart dlq redrive: say which dead letters: --id, --reason or --since",
            file=sys.stderr,
        )
        return 2
    now = datetime.now(UTC)
    try:
        ids = {parse_id(i) for i in args.id}
        since = parse_when(args.since, now) if args.since else None
    except ValueError as exc:
        which = "--since" if args.since and "duration" in str(exc) else "--id"
        print(f"aftercart dlq redrive: {which}: {exc}", file=sys.stderr)
        return 2
    chosen = select(
        read_entries(settings.kafka_bootstrap, topics),
        ids=ids,
        reason=args.reason or "",
        since=since,
        redriven_too=args.all,
    )
    by = f"{getpass.getuser()}@{socket.gethostname()}"
    if args.dry_run:
        outcome = plan(chosen, topics, now)
    else:
        outcome = redrive(settings.kafka_bootstrap, topics, chosen, by)
    said = summary(len(chosen), outcome, dry_run=args.dry_run)
    if args.json:
        _print_json(said)
        return 0
    verb = "would put back" if args.dry_run else "put back"
    print(f"{len(chosen)} dead letters selected; {verb} {len(outcome.redriven)}")
    for topic, count in said["by_topic"].items():
        print(f"  {count:>6} to {topic}")
    for nid, why in outcome.skipped.items():
        print(f"  not redriven: {nid}: {why}")
    return 0


def _age(delta: Any) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _print_json(found: Any) -> None:
    print(json.dumps(found, indent=2, ensure_ascii=False))


COMMAND = Command("dlq", "the dead letters: list, show one, redrive", run, arguments)
