"""The pid file of a broker that outlives the CLI call that started it: status and stop."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from broker.config import LOOPBACK

PID_FILE = "kafka.pid"


@dataclass(frozen=True)
class BrokerStatus:
    """What `aftercart kafka status` reports."""

    running: bool
    pid: int | None = None
    bootstrap: str | None = None
    note: str = ""

    def __str__(self) -> str:
        text = f"running (pid {self.pid}) at {self.bootstrap}" if self.running else "not running"
        return f"{text}; {self.note}" if self.note else text


def _pid_path(data_dir: Path) -> Path:
    return data_dir.resolve() / PID_FILE


def _is_our_broker(pid: int, data_dir: Path) -> bool:
    # A pid alone may have been reused after a reboot or crash; the command line names our
    # server.properties, and a zombie's command line is empty.
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    props = str(data_dir.resolve() / "server.properties").encode()
    return b"kafka.Kafka" in cmdline and props in cmdline


def _live_pid(data_dir: Path) -> tuple[int | None, str]:
    path = _pid_path(data_dir)
    try:
        pid = int(path.read_text().strip())
    except FileNotFoundError:
        return None, ""
    except ValueError:
        path.unlink(missing_ok=True)
        return None, f"removed unreadable pid file {path}"
    if _is_our_broker(pid, data_dir):
        return pid, ""
    path.unlink(missing_ok=True)
    return None, f"removed stale pid file {path} (pid {pid} is not this broker)"


def status(data_dir: Path, port: int) -> BrokerStatus:
    """Whether the broker of data_dir runs; a stale pid file is removed and mentioned."""
    pid, note = _live_pid(data_dir)
    if pid is None:
        return BrokerStatus(running=False, note=note)
    return BrokerStatus(running=True, pid=pid, bootstrap=f"{LOOPBACK}:{port}")


def write_pid_file(data_dir: Path, pid: int) -> None:
    """Record the pid of the broker that serves data_dir."""
    _pid_path(data_dir).write_text(f"{pid}\n")


def remove_pid_file(data_dir: Path) -> None:
    """Forget the broker of data_dir."""
    _pid_path(data_dir).unlink(missing_ok=True)


def _wait_gone(pid: int, data_dir: Path, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _is_our_broker(pid, data_dir):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


def stop_many(data_dirs: list[Path], timeout: float = 30.0) -> list[BrokerStatus]:
    """SIGTERM the recorded broker of each data dir, every one before waiting for any (the
    nodes of a cluster shut down in order only while a quorum of controllers still runs),
    SIGKILL those still running after timeout; report what was stopped, in order."""
    found = [_live_pid(data_dir) for data_dir in data_dirs]
    for pid, _ in found:
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):  # it ended on its own meanwhile
                os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    stopped = []
    for data_dir, (pid, note) in zip(data_dirs, found, strict=True):
        if pid is None:
            stopped.append(BrokerStatus(running=False, note=note or "nothing to stop"))
            continue
        if not _wait_gone(pid, data_dir, max(deadline - time.monotonic(), 0.0)):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            _wait_gone(pid, data_dir, 10.0)
        remove_pid_file(data_dir)
        stopped.append(BrokerStatus(running=False, pid=pid, note=f"stopped pid {pid}"))
    return stopped


def stop_detached(data_dir: Path, timeout: float = 30.0) -> BrokerStatus:
    """SIGTERM the recorded broker, SIGKILL after timeout; report what was stopped."""
    return stop_many([data_dir], timeout)[0]
