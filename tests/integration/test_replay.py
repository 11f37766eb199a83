"""Replay on the real broker: after every message was delivered, replaying the events sends
nothing and reports them as already sent; --resend sends each selected one once more, and
again nothing twice; a customer filter touches only that customer; bad arguments get one
line and exit 2; a dry run with --show prints messages as the customer would get them and
puts nothing back. (The first test replays the whole events topic: tests that add events come
after it.)"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from stacks import order_placed, run_json, started, wait_committed
from test_pipeline import arrivals, customer, publish

from aftercart.cli import main
from aftercart.stack import Stack
from bench.measure import wait_until
from broker.admin import end_offsets
from operate.explain import as_json
from operate.sources import read_story
from sandbox.client import SandboxClient
from schemas.notification import notification_id, resend_id

CUSTOMERS = ("rp-1", "rp-2")
# One message --show prints: its channel, id and customer, then the email as rendered.
SHOWN = re.compile(
    r"^--- email (\S+) to (\S+)\nSubject: ([^\n]+)\n\n(.*?)(?=^--- |\Z)", re.M | re.S
)


@pytest.fixture(scope="module")
def stack(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with started(
        kafka_bootstrap, tmp_path_factory.mktemp("replay"), ("streams", "email")
    ) as running:
        yield running


def replay(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    return run_json(capsys, "replay", *argv)


def settle(stack: Stack) -> None:
    """Wait until the stream processor and the email worker have taken everything."""
    t = stack.topics
    email = t.channel_app_id("email")
    pairs = [(t.streams_app_id, t.events), (email, t.notify("email")), (email, t.retry("email"))]
    wait_committed(stack, pairs, 60, "the pipeline to take the replay")


def accepted(sandbox: SandboxClient) -> Counter[str]:
    found = sandbox.messages(status="accepted", fields=["notification_id"])
    return Counter(m["notification_id"] for m in found)


def test_a_replay_sends_nothing_twice_and_resend_sends_each_once_more(
    stack: Stack, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox = SandboxClient(stack.settings.sandbox_url)
    # Given two customers whose order confirmations were delivered and are in the ledger
    orders = {cid: order_placed(cid, f"o-{cid}", f"#{cid}") for cid in CUSTOMERS}
    profiles = [e for cid in CUSTOMERS for e in customer(cid, "email", sandbox=sandbox)]
    publish(stack, *profiles, *orders.values())
    nids = {cid: notification_id(o.id, "email", "order.placed") for cid, o in orders.items()}
    arrivals(sandbox, set(nids.values()))

    def ledgered() -> bool:
        story = read_story(stack.settings.kafka_bootstrap, stack.topics, timeout_s=10)
        return all(story.history.known(n).state == "sent" for n in nids.values())

    wait_until(ledgered, 30, "the ledger to have both emails")
    # When the events are replayed, dry run first
    dry = replay(capsys, "events", "--dry-run")
    everything = len(profiles) + len(orders)
    assert (dry["selected"], dry["published"], dry["would_send"]) == (everything, 0, 0)
    assert dry["already_sent"] == 2
    assert dry["by_channel"]["email"]["already_sent"] == 2
    done = replay(capsys, "events")
    assert done["published"] == everything
    settle(stack)
    # Then nothing is sent twice, and explain tells the replay's suppression
    assert all(accepted(sandbox)[n] == 1 for n in nids.values())
    story = read_story(stack.settings.kafka_bootstrap, stack.topics, timeout_s=10)
    told = as_json(story.decisions, "rp-1", story.history)
    replayed = [e for e in told["events"] if e["replay"] == done["replay"]]
    assert any(
        c["outcome"] == "suppressed" and c["reason"].startswith("already sent; replay")
        for e in replayed
        for c in e["channels"]
    )
    # When one customer's order is replayed with --resend, twice
    for _ in range(2):
        again = replay(capsys, "events", "--customer", "rp-1", "--resend", "--yes")
        assert again["selected"] == everything // 2  # rp-1's own, not an earlier replay's
        settle(stack)
    # Then rp-1 gets the confirmation once more, under a new id; rp-2 gets nothing new
    resent = resend_id(nids["rp-1"], "1")
    arrivals(sandbox, {resent})
    counts = accepted(sandbox)
    assert (counts[resent], counts[nids["rp-1"]], counts[nids["rp-2"]]) == (1, 1, 1)
    assert sum(counts.values()) == 3


def test_bad_arguments_get_one_line_naming_the_argument(
    cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = [
        (["nowhere"], "unknown topic 'nowhere'; replayable: events, notify.email"),
        (["deadletter"], "aftercart dlq redrive"),
        (["events", "--since", "yesterday"], "--since: 'yesterday' is neither"),
        (["events", "--since", "1h", "--until", "2h"], "--until: 2h is before --since 1h"),
        (["events", "--from-offset", "x"], "--from-offset: 'x' is not PARTITION:OFFSET"),
        (["events", "--resend"], "--resend sends messages again: confirm with --yes"),
    ]
    for argv, said in cases:
        capsys.readouterr()
        assert main(["replay", *argv]) == 2, argv
        err = capsys.readouterr().err.strip()
        assert said in err and "\n" not in err, (argv, err)


def test_a_dry_run_shows_messages_as_rendered_and_puts_nothing_back(
    stack: Stack, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox = SandboxClient(stack.settings.sandbox_url)
    # Given three customers whose order confirmations were delivered
    cids = ("rp-show-1", "rp-show-2", "rp-show-3")
    orders = {cid: order_placed(cid, f"o-{cid}", f"#{cid}") for cid in cids}
    profiles = [e for cid in cids for e in customer(cid, "email", sandbox=sandbox)]
    publish(stack, *profiles, *orders.values())
    nids = {cid: notification_id(o.id, "email", "order.placed") for cid, o in orders.items()}
    arrivals(sandbox, set(nids.values()))
    settle(stack)
    topics = (stack.topics.events, stack.topics.notify("email"))
    ends = [end_offsets(stack.settings.kafka_bootstrap, t) for t in topics]
    sent = accepted(sandbox)
    # When a dry run of sending them again shows two
    capsys.readouterr()
    argv = [*(f"--customer={cid}" for cid in cids), "--resend", "--dry-run", "--show", "2"]
    assert main(["replay", "events", *argv]) == 0
    out = capsys.readouterr().out
    # Then the summary says all three would be sent, none put back
    assert re.search(r"^replay r-\w+: read \d+, selected 9, published 0$", out, re.M), out
    assert re.search(r"^email +3 +0 +0 +0$", out, re.M), out
    # And two of them are printed as the customer would get them, under their new ids
    shown = SHOWN.findall(out)
    assert len({nid for nid, *_ in shown}) == 2, out
    for nid, cid, subject, text in shown:
        assert nid == resend_id(nids[cid], "1")
        assert subject == f"Order #{cid} confirmed: thank you, {cid.title()}!"
        assert f"Hi {cid.title()}," in text and f"We have received order #{cid}" in text
        assert "Total: €9.00" in text
    # And with --json the same messages come inside the one JSON object
    told = replay(capsys, "events", *argv)
    assert [m["notification_id"] for m in told["shown"]] == [nid for nid, *_ in shown]
    assert told["shown"][0]["subject"] == shown[0][2]
    # And nothing was put back or sent
    assert [end_offsets(stack.settings.kafka_bootstrap, t) for t in topics] == ends
    assert accepted(sandbox) == sent
