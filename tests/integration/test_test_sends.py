"""`aftercart send-test` on the real broker: the running channel worker sends it with the
provider's SDK, guarded by its ledger, marked as a test; the command reports the provider's
acceptance, or that no worker took it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from stacks import run_json, started

from aftercart.cli import main
from aftercart.stack import Stack
from channels.render import TEST_MARK
from sandbox.client import SandboxClient


@pytest.fixture(scope="module")
def stack(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with started(kafka_bootstrap, tmp_path_factory.mktemp("send-test"), ("email",)) as running:
        yield running


def test_a_test_email_reaches_the_provider_marked_and_is_reported_accepted(
    stack: Stack, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox = SandboxClient(stack.settings.sandbox_url)
    told = run_json(
        capsys, "send-test", "--channel", "email", "--to", "ops@shop.example", "--lang", "fi"
    )
    assert told["state"] == "sent"
    assert told["provider_id"]
    [sent] = sandbox.messages(status="accepted", notification_id=told["notification_id"])
    assert sent["recipient"] == "ops@shop.example"
    assert sent["subject"].startswith(TEST_MARK)


def test_with_no_worker_for_the_channel_it_says_so_and_exits_1(
    stack: Stack, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["send-test", "--channel", "sms", "--to", "+358401234567", "--wait", "3"]
    assert main(argv) == 1
    assert "no outcome within 3 s: is the sms worker running?" in capsys.readouterr().out
