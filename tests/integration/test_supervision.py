"""Supervision on the real stack: a killed worker is started again and the pipeline goes on
without sending twice; under a real `aftercart up`, a killed broker is started again while
the gateway answers 503 with Retry-After, and up stops on SIGINT (inherited ignored, as a
script's background job has it) and on SIGHUP, leaving no process behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pydantic import SecretStr
from stacks import stack_settings, status_json
from test_pipeline import customer, placed, publish

from aftercart.commands.status import answers, look
from aftercart.processes import RUN_FILE, Child, RunFile, is_alive
from aftercart.stack import Stack
from bench.measure import wait_until
from broker import free_ports
from broker.admin import lag
from runtime.child_env import settings_env
from runtime.settings import Settings
from sandbox.client import SandboxClient
from schemas.codec import new_event
from schemas.notification import notification_id

TOKEN = "supervision-events-token"


def child(stack: Stack, name: str) -> Child:
    return next(c for c in stack.supervisor.children if c.name == name)


def emailed(sandbox: SandboxClient, nid: str) -> int:
    """How many times the sandbox took a message of this notification id."""
    return sum(1 for m in sandbox.messages() if m.get("notification_id") == nid)


def test_a_killed_email_worker_is_started_again_and_the_next_order_is_emailed_once(
    kafka_bootstrap: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = stack_settings(kafka_bootstrap, tmp_path)
    monkeypatch.setenv("AFTERCART_DATA_DIR", str(tmp_path))
    with Stack(settings, tmp_path / "up", own_broker=False) as stack:
        stack.start(("streams", "email"), gateway=False)
        sandbox = SandboxClient(settings.sandbox_url)
        # Given the email worker killed outright
        killed = child(stack, "worker-email")
        killed.process.send_signal(signal.SIGKILL)
        # When the stack tends its processes (what `up` does twice a second)
        wait_until(lambda: child(stack, "worker-email") is not killed, 60, "a restart", stack.tend)
        # Then it runs again, and status says it was restarted once, after a SIGKILL
        wait_until(lambda: status_json(capsys)[0] == 0, 120, "status to see all well", stack.tend)
        _, seen = status_json(capsys)
        by_name = {p["name"]: p for p in seen["processes"]}
        email = by_name["worker-email"]
        assert (email["state"], email["restarts"], email["last_exit"]) == (
            "alive", 1, "killed by SIGKILL",
        )  # fmt: skip
        assert email["pid"] == child(stack, "worker-email").process.pid != killed.process.pid
        assert [by_name[n]["restarts"] for n in ("sandbox", "worker-streams")] == [0, 0]
        assert seen["owner"]["restarts"] == 1
        assert killed.log_path.read_text().count("--- worker-email started again at") == 1

        # And an order placed after the kill is emailed, once
        order = placed("kai")
        publish(stack, *customer("kai", "email", sandbox=sandbox), order)
        nid = notification_id(order.id, "email", "order.placed")
        wait_until(lambda: emailed(sandbox, nid) > 0, 180, f"email {nid}", stack.tend)
        group, topic = stack.topics.channel_app_id("email"), stack.topics.notify("email")
        wait_until(lambda: lag(kafka_bootstrap, group, topic) == 0, 60, "the commit", stack.tend)
        assert emailed(sandbox, nid) == 1
        assert stack.restarts.total == 1


def ignore_sigint() -> None:
    """What a shell does to a script's background job: SIGINT ignored, inherited by exec."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@dataclass
class Up:
    """A real `aftercart up` in a fresh data directory, on free ports."""

    process: subprocess.Popen[bytes]
    settings: Settings
    output: Path
    seen: set[tuple[int, int | None]] = field(default_factory=set)  # every recorded process

    @property
    def run_dir(self) -> Path:
        return self.settings.data_dir / "up"

    def run_file(self) -> RunFile | None:
        found = RunFile.read(self.run_dir / RUN_FILE)
        if found is not None:
            self.seen.update((p.pid, p.started) for p in found.processes)
        return found

    def check(self) -> None:
        """Raise, with what it printed, if up has exited."""
        if self.process.poll() is not None:
            text = self.output.read_text(errors="replace")
            raise AssertionError(f"aftercart up exited ({self.process.returncode}):\n{text}")

    def all_well(self) -> bool:
        """Every process it started alive and answering its probe."""
        found = self.run_file()
        if found is None or "running; Ctrl-C" not in self.output.read_text(errors="replace"):
            return False
        seen = look(found, lambda url: answers(url, 2.0))
        return len(seen) == 7 and all(s.state == "alive" for s in seen)

    def left_alive(self) -> list[int]:
        return [pid for pid, started in self.seen if is_alive(pid, started)]

    def stopped_by(self, signum: int) -> None:
        """Send it `signum`; it exits, everything it started is gone, so is its run file."""
        self.run_file()
        self.process.send_signal(signum)
        self.process.wait(120)  # 20 s for the workers, up to 30 s for the broker
        assert self.process.returncode == 130, self.output.read_text(errors="replace")
        assert self.left_alive() == []
        assert not (self.run_dir / RUN_FILE).exists()


@pytest.fixture
def up(tmp_path: Path) -> Iterator[Up]:
    kafka_port, controller_port = free_ports(2)
    settings = stack_settings(
        f"127.0.0.1:{kafka_port}",
        tmp_path,
        kafka_controller_port=controller_port,
        events_tokens=[SecretStr(TOKEN)],
        ingest_timeout_s=2.0,
    )
    output = tmp_path / "up.out"
    with output.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "aftercart.cli", "up"],
            env={**os.environ, **settings_env(settings)},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=ignore_sigint,
        )
    running = Up(process, settings, output)
    try:
        wait_until(running.all_well, 300, "aftercart up to start everything", running.check)
        yield running
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for pid in running.left_alive():  # only ones this test started
            os.kill(pid, signal.SIGKILL)


def post_event(up: Up, cid: str) -> tuple[int, str | None]:
    """POST one event to the gateway: the status of the answer (0: no answer) and its
    Retry-After."""
    event = new_event("customer.upserted", {"customer_id": cid}, source="test")
    url = f"http://{up.settings.gateway_host}:{up.settings.gateway_port}/events"
    request = urllib.request.Request(
        url,
        data=event.model_dump_json(exclude_none=True).encode(),
        headers={
            "Authorization": f"Bearer {TOKEN}",
            "Content-Type": "application/cloudevents+json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers.get("Retry-After")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Retry-After")
    except OSError:
        return 0, None


def test_a_killed_broker_is_started_again_while_the_gateway_answers_503_then_sigint_stops_up(
    up: Up, capsys: pytest.CaptureFixture[str]
) -> None:
    run = up.run_file()
    assert run is not None
    pids = {p.name: p.pid for p in run.processes}
    assert post_event(up, "before")[0] == 200
    # Given the broker killed outright under a running up
    os.kill(pids["kafka"], signal.SIGKILL)
    # Then the gateway still answers: 503, nothing taken, with when to try again
    code, retry_after = post_event(up, "while-away")
    assert code == 503
    assert retry_after is not None and int(retry_after) > 0
    # And up starts the broker again, after which the gateway takes events again
    wait_until(lambda: post_event(up, "after")[0] == 200, 240, "the gateway to accept", up.check)
    wait_until(up.all_well, 240, "every process alive and answering", up.check)
    code, seen = status_json(capsys, "--run-dir", str(up.run_dir))
    assert code == 0
    kafka = next(p for p in seen["processes"] if p["name"] == "kafka")
    assert (kafka["restarts"], kafka["last_exit"]) == (1, "killed by SIGKILL")
    assert kafka["pid"] != pids["kafka"]
    assert seen["owner"]["restarts"] >= 1  # workers that lost Kafka may have exited too
    # When up, started with SIGINT ignored, gets SIGINT, it stops with everything it started
    up.stopped_by(signal.SIGINT)


def test_sighup_stops_up_and_everything_it_started(up: Up) -> None:
    up.stopped_by(signal.SIGHUP)
