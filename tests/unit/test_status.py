"""`aftercart status` without a stack: the run file, telling a live process from a dead or
reused pid, the probes, the output and the exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from aftercart.cli import main
from aftercart.commands.status import Seen, answers, exit_code, look, table
from aftercart.processes import RUN_FILE, RunFile, Running, is_alive, start_ticks
from bench.measure import wait_until
from broker import free_port


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    """A child that runs until stopped."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    yield process
    process.kill()
    process.wait()


def running(name: str, pid: int, url: str = "", probe: str = "") -> Running:
    return Running.of(name, pid, url, Path(f"/logs/{name}.log"), probe)


def test_the_run_file_reads_back_what_was_written(tmp_path: Path) -> None:
    path = tmp_path / "up" / RUN_FILE
    written = RunFile.of_this_process(
        [running("sandbox", os.getpid(), "http://127.0.0.1:1", "http://127.0.0.1:1/healthz")]
    )
    written.write(path)
    assert RunFile.read(path) == written
    assert os.listdir(path.parent) == [RUN_FILE]  # written aside, then renamed into place


def test_no_run_file_reads_as_none(tmp_path: Path) -> None:
    assert RunFile.read(tmp_path / RUN_FILE) is None


def test_a_running_process_is_alive_and_a_reaped_one_is_not(
    sleeper: subprocess.Popen[bytes],
) -> None:
    started = start_ticks(sleeper.pid)
    assert is_alive(sleeper.pid, started)
    sleeper.kill()
    sleeper.wait()
    assert not is_alive(sleeper.pid, started)


def test_a_zombie_is_dead(sleeper: subprocess.Popen[bytes]) -> None:
    started = start_ticks(sleeper.pid)
    sleeper.kill()  # not reaped: its pid stays, as a zombie, until wait()
    wait_until(lambda: not is_alive(sleeper.pid, started), 30, "the child to exit")
    assert sleeper.poll() is not None


def test_a_pid_given_to_a_later_process_is_not_the_recorded_one() -> None:
    started = start_ticks(os.getpid())
    assert started is not None
    assert is_alive(os.getpid(), started)
    assert not is_alive(os.getpid(), started + 1)


def test_status_checks_each_pid_and_asks_only_live_processes_with_a_probe(
    sleeper: subprocess.Popen[bytes],
) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    run = RunFile.of_this_process(
        [
            running("sandbox", sleeper.pid, "http://s", "http://s/healthz"),
            running("worker-email", sleeper.pid),
            running("worker-sms", dead.pid, probe="http://never-asked"),
        ]
    )
    asked: list[str] = []

    def probe(url: str) -> bool:
        asked.append(url)
        return True

    seen = look(run, probe)
    assert [(s.state, s.answers) for s in seen] == [
        ("alive", True),
        ("alive", None),
        ("dead", None),
    ]
    assert asked == ["http://s/healthz"]
    assert exit_code(seen) == 1
    assert exit_code(seen[:2]) == 0


def test_a_live_process_that_does_not_answer_fails(sleeper: subprocess.Popen[bytes]) -> None:
    run = RunFile.of_this_process([running("gateway", sleeper.pid, "http://g", "http://g/h")])
    seen = look(run, lambda url: False)
    assert seen[0].state == "not answering"
    assert exit_code(seen) == 1
    assert look(run, None)[0].state == "alive"  # --no-probe


def test_the_table_names_state_pid_url_and_log(sleeper: subprocess.Popen[bytes]) -> None:
    run = RunFile.of_this_process(
        [running("sandbox", sleeper.pid, "http://127.0.0.1:8787"), running("worker-sms", 1 << 22)]
    )
    lines = table(run, look(run, None), Path("run/processes.json"))
    title = f"started by pid {os.getpid()} (running, 0 restarts); run file run/processes.json"
    assert lines[0] == title
    assert lines[1].split() == ["PROCESS", "STATE", "PID", "RESTARTS", "URL", "LOG", "LAST", "EXIT"]
    assert lines[2].split() == [
        "sandbox", "alive", str(sleeper.pid), "0", "http://127.0.0.1:8787", "/logs/sandbox.log",
    ]  # fmt: skip
    assert lines[3].split() == [
        "worker-sms", "dead", str(1 << 22), "0", "-", "/logs/worker-sms.log",
    ]  # fmt: skip


def test_restarts_and_the_last_exit_are_shown_and_a_pending_restart_is_restarting(
    sleeper: subprocess.Popen[bytes], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Given a run file of an `up` that restarted the email worker twice and now waits to
    # start the sms worker again
    email = replace(running("worker-email", sleeper.pid), restarts=2, last_exit="killed by SIGKILL")
    sms = replace(
        running("worker-sms", 1 << 22), restarts=1, last_exit="exited with code 1", restarting=True
    )
    run = RunFile.of_this_process([email, sms], restarts=3)
    # When status looks
    lines = table(run, look(run, None), Path("run/processes.json"))
    # Then the table says so
    assert "(running, 3 restarts)" in lines[0]
    assert lines[2].split()[:4] == ["worker-email", "alive", str(sleeper.pid), "2"]
    assert lines[2].endswith("  killed by SIGKILL")
    assert lines[3].split()[:4] == ["worker-sms", "restarting", str(1 << 22), "1"]
    assert lines[3].endswith("  exited with code 1")
    # And so does --json
    run.write(tmp_path / RUN_FILE)
    assert main(["status", "--run-dir", str(tmp_path), "--json", "--no-probe"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["owner"]["restarts"] == 3
    found = {p["name"]: (p["state"], p["restarts"], p["last_exit"]) for p in data["processes"]}
    assert found == {
        "worker-email": ("alive", 2, "killed by SIGKILL"),
        "worker-sms": ("restarting", 1, "exited with code 1"),
    }


def test_a_pending_restart_of_an_up_that_is_gone_is_dead() -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    waiting = replace(running("gateway", 1 << 22), restarting=True)
    run = RunFile(dead.pid, None, [waiting], 1)
    assert look(run, None)[0].state == "dead"


def test_the_owner_gone_is_said(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    run = RunFile(dead.pid, None, [])
    assert "gone: it did not stop cleanly" in table(run, [], tmp_path)[0]


class _Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/healthz" else 503)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def health_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_probes(health_url: str) -> None:
    assert answers(f"{health_url}/healthz", 5)
    assert not answers(f"{health_url}/readyz", 5)  # 503
    assert not answers(f"http://127.0.0.1:{free_port()}/healthz", 5)
    assert answers(f"tcp://{health_url.removeprefix('http://')}", 5)
    assert not answers(f"tcp://127.0.0.1:{free_port()}", 5)


def test_without_a_run_file_up_is_not_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AFTERCART_DATA_DIR", str(tmp_path))
    assert main(["status"]) == 1
    path = tmp_path / "up" / RUN_FILE
    assert capsys.readouterr().out.strip() == f"aftercart up is not running (no {path})"
    assert main(["status", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["running"] is False


def test_status_of_a_run_file_with_json(
    tmp_path: Path, sleeper: subprocess.Popen[bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    RunFile.of_this_process([running("worker-push", sleeper.pid)]).write(tmp_path / RUN_FILE)
    assert main(["status", "--run-dir", str(tmp_path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["owner"] == {"pid": os.getpid(), "alive": True, "restarts": 0}
    assert data["processes"] == [
        {
            "name": "worker-push",
            "state": "alive",
            "alive": True,
            "answers": None,
            "pid": sleeper.pid,
            "url": None,
            "log": "/logs/worker-push.log",
            "restarts": 0,
            "last_exit": None,
        }
    ]


def test_seen_state_words() -> None:
    process = Running("x", 1, None, "", "")
    assert Seen(process, alive=False, answers=None).state == "dead"
    assert Seen(process, alive=True, answers=False).state == "not answering"
    assert Seen(process, alive=True, answers=True).state == "alive"
    waiting = replace(process, restarting=True)
    assert Seen(waiting, alive=False, answers=None).state == "restarting"
    assert Seen(waiting, alive=False, answers=None, owner_alive=False).state == "dead"


@pytest.mark.parametrize("argv", [["--timeout", "0"], ["--bogus"]])
def test_bad_arguments_exit_2(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["status", *argv])
    assert exit_.value.code == 2
