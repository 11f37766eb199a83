"""The `aftercart` command: its table of commands, what it refuses, and the bench hand-over."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from aftercart.cli import main, parser
from aftercart.commands import COMMANDS

AFTERCART = Path(sys.executable).parent / "aftercart"


def test_help_names_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parser().parse_args(["--help"])
    out = capsys.readouterr().out
    for command in ("up", "demo", "kafka", "topics", "sandbox", "gateway", "worker", "bench"):
        assert f"    {command} " in out
    for command in ("explain", "render"):
        assert f"    {command} " in out


def test_kafka_status_without_a_broker_says_so(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AFTERCART_DATA_DIR", str(tmp_path))
    assert main(["kafka", "status"]) == 0
    assert capsys.readouterr().out.strip() == "not running"


def test_every_declared_command_has_a_help_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parser().parse_args(["--help"])
    out = capsys.readouterr().out
    for name, command in COMMANDS.items():
        assert name in out
        assert command.help.split()[0] in out


def test_an_unknown_argument_is_refused_with_its_name(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["topics", "--bogus"])
    assert exit_.value.code == 2
    assert "unrecognized arguments: --bogus" in capsys.readouterr().err


def test_bench_help_is_the_benchmarks_own() -> None:
    # `aftercart bench` hands everything to `python -m bench`, --help included.
    result = subprocess.run(
        [str(AFTERCART), "bench", "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: aftercart bench")
    for option in ("--events", "--output", "--only"):
        assert option in result.stdout


def test_bench_refuses_a_bad_option_before_starting_anything() -> None:
    result = subprocess.run(
        [str(AFTERCART), "bench", "--only", "everything"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "--only: invalid choice: 'everything'" in result.stderr


def test_a_setting_that_cannot_work_is_one_line_naming_the_variable(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AFTERCART_EVENTS_TOKENS", '["short"]')
    monkeypatch.setenv("AFTERCART_GATEWAY_PORT", "not a port")
    assert main(["status"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("aftercart: AFTERCART_GATEWAY_PORT: ")
    assert lines[1].startswith("aftercart: AFTERCART_EVENTS_TOKENS: every secret and token")
