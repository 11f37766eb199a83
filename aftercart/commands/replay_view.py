"""How `aftercart replay` shows itself: a progress bar on stderr, the summary as a table, and
the messages a dry run would send, rendered."""

from __future__ import annotations

import json
from types import TracebackType
from typing import Any

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

from operate.scan import Progress as ScanProgress


class Bar:
    """records read of the selection's total, records/s and an ETA, on stderr; off when
    stderr is not a terminal (or for --json)."""

    def __init__(self, enabled: bool) -> None:
        self.progress: Progress | None = None
        self.task: TaskID | None = None
        if enabled:
            self.progress = Progress(
                TextColumn("replay"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"),
                TimeRemainingColumn(),
                transient=True,
            )

    def __enter__(self) -> Bar:
        if self.progress is not None:
            self.progress.start()
            self.task = self.progress.add_task("replay", total=None, rate="")
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.progress is not None:
            self.progress.stop()

    def tick(self, scan: ScanProgress) -> None:
        """Show how far the scan got."""
        if self.progress is None or self.task is None:
            return
        speed = self.progress.tasks[0].speed
        rate = f"{speed:,.0f} records/s" if speed else ""
        self.progress.update(self.task, total=scan.total, completed=scan.read, rate=rate)


def print_table(summary: dict[str, Any]) -> None:
    """The summary, for people."""
    verb = "would be" if summary["dry_run"] else "were"
    print(
        f"replay {summary['replay']}: read {summary['read']}, selected {summary['selected']}, "
        f"published {summary['published']}"
    )
    print(f"{'CHANNEL':<8} {'SEND':>8} {'ALREADY SENT':>13} {'DEFERRED':>9} {'SUPPRESSED':>11}")
    for channel, counts in summary["by_channel"].items():
        print(
            f"{channel:<8} {counts.get('would_send', 0):>8} {counts.get('already_sent', 0):>13} "
            f"{counts.get('deferred', 0):>9} {counts.get('suppressed', 0):>11}"
        )
    for reason, count in sorted(summary["suppressed"].items(), key=lambda kv: -kv[1]):
        print(f"  {count:>6} {verb} suppressed: {reason}")


def rendered(requests: list[Any]) -> list[dict[str, Any]]:
    """The messages that would be sent, rendered as the customer would get them."""
    from channels.render import Renderer

    renderer = Renderer()
    out: list[dict[str, Any]] = []
    for request in requests:
        shown: dict[str, Any] = {
            "channel": request.channel,
            "notification_id": request.notification_id,
            "customer_id": request.customer_id,
        }
        if request.channel == "email":
            email = renderer.email(request)
            shown |= {"subject": email.subject, "text": email.text}
        elif request.channel == "sms":
            shown["text"] = renderer.sms(request).body
        else:
            shown["payload"] = json.loads(renderer.push(request, 60).payload)
        out.append(shown)
    return out


def print_shown(shown: list[dict[str, Any]]) -> None:
    """Rendered messages, for people."""
    for message in shown:
        print(f"--- {message['channel']} {message['notification_id']} to {message['customer_id']}")
        if "subject" in message:
            print(f"Subject: {message['subject']}\n\n{message['text']}")
        elif "text" in message:
            print(message["text"])
        else:
            print(json.dumps(message["payload"], ensure_ascii=False))
