"""Scale-out (`aftercart up --workers email=2`): two processes of a role share its topic's
partitions, each reports itself in `aftercart status`, and every message goes out once."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from kafka import KafkaAdminClient
from stacks import stack_settings, status_json
from test_metrics_scrape import scrape, value
from test_pipeline import arrivals, customer, placed, publish, settle

from aftercart.stack import Stack
from bench.measure import wait_until
from sandbox.client import SandboxClient
from schemas.notification import notification_id

PEOPLE = [f"scale{n}" for n in range(12)]
SENT = "aftercart_notifications_total"


def partitions_per_member(bootstrap: str, group: str, topic: str) -> list[int]:
    """How many of `topic`'s partitions each member of a consumer group holds."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        [described] = admin.describe_groups([group]).values()
    finally:
        admin.close()
    held = [
        sum(
            len(a["partitions"])
            for a in (m["member_assignment"] or {}).get("assigned_partitions", [])
            if a["topic"] == topic
        )
        for m in described["members"]
    ]
    return sorted(held)


def test_two_email_workers_share_the_partitions_and_each_order_is_emailed_once(
    kafka_bootstrap: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = stack_settings(kafka_bootstrap, tmp_path)  # two partitions a topic
    monkeypatch.setenv("AFTERCART_DATA_DIR", str(tmp_path))
    with Stack(settings, tmp_path / "up", own_broker=False) as stack:
        # Given the stack started with two email workers, as `up --workers email=2` does
        stack.start(("streams", "email"), gateway=False, counts={"email": 2})
        group, notify = stack.topics.channel_app_id("email"), stack.topics.notify("email")
        # Then they form one group, one partition each
        wait_until(
            lambda: partitions_per_member(kafka_bootstrap, group, notify) == [1, 1],
            120,
            "two email workers with a partition each",
            stack.check,
        )
        # And status lists both, each alive with a metrics address of its own
        wait_until(lambda: status_json(capsys)[0] == 0, 60, "status to see all well")
        _, seen = status_json(capsys)
        email = {p["name"]: p for p in seen["processes"] if p["name"].startswith("worker-email")}
        assert sorted(email) == ["worker-email", "worker-email-2"]
        assert all(p["state"] == "alive" for p in email.values())
        assert email["worker-email"]["url"] != email["worker-email-2"]["url"] != ""

        # When twelve customers order (their keys spread over both partitions)
        sandbox = SandboxClient(settings.sandbox_url)
        events = [e for cid in PEOPLE for e in customer(cid, "email", sandbox=sandbox)]
        orders = [placed(cid) for cid in PEOPLE]
        publish(stack, *events, *orders)
        ids = {notification_id(order.id, "email", "order.placed") for order in orders}
        arrivals(sandbox, ids, timeout=120)
        settle(stack)
        # Then each is emailed once, and both workers sent some of them
        messages = sandbox.messages()
        sent = Counter(m["notification_id"] for m in messages if m.get("notification_id") in ids)
        assert sent == Counter(dict.fromkeys(ids, 1))
        by_worker = [
            value(scrape(email[name]["url"]), SENT, channel="email", outcome="sent")
            for name in sorted(email)
        ]
        assert sum(by_worker) == len(ids) and min(by_worker) > 0, by_worker
