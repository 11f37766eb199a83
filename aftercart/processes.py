"""Child processes that never outlive their parent, and the run file that lists them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from broker.launcher import die_with_parent


@dataclass
class Child:
    """One supervised process and where its output goes."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    argv: tuple[str, ...] = ()  # how it was started, to start it again the same way
    env: dict[str, str] = field(default_factory=dict)

    def tail(self, lines: int = 20) -> str:
        """The last lines the process wrote."""
        return tail(self.log_path, lines)


def tail(path: Path, lines: int = 20) -> str:
    """The last lines of a log file ("" if there is none)."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


@dataclass
class Supervisor:
    """Starts children in their own session (Ctrl-C reaches only us) and stops them all."""

    log_dir: Path
    children: list[Child] = field(default_factory=list)
    started: set[str] = field(default_factory=set)  # names spawned so far

    def spawn(self, name: str, argv: Sequence[str], env: dict[str, str]) -> Child:
        """Start a child whose output goes to LOG_DIR/NAME.log; a child this supervisor starts
        again under the same name (a restarted worker) adds to it, so what the one before
        wrote is kept."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"{name}.log"
        again = name in self.started
        self.started.add(name)
        with log_path.open("ab" if again else "wb") as out:
            if again:
                out.write(f"--- {name} started again at {time.strftime('%H:%M:%S')} ---\n".encode())
                out.flush()
            process = subprocess.Popen(
                list(argv),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **env},
                start_new_session=True,
                preexec_fn=die_with_parent(os.getpid()),
            )
        child = Child(name, process, log_path, tuple(argv), dict(env))
        self.children.append(child)
        return child

    def restart(self, child: Child) -> Child:
        """Start an exited child again, as it was started, in its place in the list."""
        again = self.spawn(child.name, child.argv, child.env)  # if it fails, child stays
        self.children.remove(again)
        self.children[self.children.index(child)] = again
        return again

    def spawn_cli(self, name: str, args: Sequence[str], env: dict[str, str]) -> Child:
        """Start `aftercart ARGS` with this interpreter."""
        return self.spawn(name, [sys.executable, "-m", "aftercart.cli", *args], env)

    def dead(self) -> list[Child]:
        """Children that have exited."""
        return [c for c in self.children if c.process.poll() is not None]

    def stop(self, child: Child, timeout: float = 20.0) -> None:
        """Stop one child and forget it."""
        self.children.remove(child)
        child.process.terminate()
        try:
            child.process.wait(timeout)
        except subprocess.TimeoutExpired:
            child.process.kill()
            child.process.wait()

    def stop_all(self, timeout: float = 20.0) -> None:
        """SIGTERM every child at once, then SIGKILL what is still running after `timeout`."""
        for child in self.children:
            if child.process.poll() is None:
                child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for child in self.children:
            try:
                child.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()
        self.children.clear()


RUN_FILE = "processes.json"
_PROC = Path("/proc")


def start_ticks(pid: int) -> int | None:
    """When the process started, in clock ticks since boot (Linux; None elsewhere or gone):
    with its pid, it tells a process from a later one that was given the same pid."""
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces; starttime is field 22.
    return int(stat.rpartition(")")[2].split()[19])


def is_alive(pid: int, started: int | None) -> bool:
    """True while the process of that pid and start time runs (a zombie does not)."""
    if not _PROC.joinpath("self").exists():  # no /proc: ask the kernel whether the pid exists
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    try:
        fields = (_PROC / str(pid) / "stat").read_text().rpartition(")")[2].split()
    except OSError:
        return False
    return fields[0] not in ("Z", "X") and (started is None or int(fields[19]) == started)


@dataclass(frozen=True)
class Running:
    """One process of a running stack, as the run file records it."""

    name: str
    pid: int
    started: int | None  # start_ticks(pid) when recorded
    url: str  # where it serves, "" if nowhere
    log: str
    probe: str = ""  # "http://.../healthz" or "tcp://host:port" answers while it works
    restarts: int = 0  # how many times `up` started it again after it exited
    last_exit: str = ""  # why it last exited ("killed by SIGKILL"), "" if it never did
    restarting: bool = False  # it exited and `up` will start it again after a delay

    @classmethod
    def of(cls, name: str, pid: int, url: str, log: Path, probe: str = "") -> Running:
        """Record a process that runs now."""
        return cls(name, pid, start_ticks(pid), url, str(log), probe)


@dataclass(frozen=True)
class RunFile:
    """What `aftercart up` runs, for `aftercart status`: its own pid and every child."""

    owner: int  # the pid of the process that started them all
    owner_started: int | None
    processes: list[Running]
    restarts: int = 0  # every restart the owner made, of all its processes together

    @classmethod
    def of_this_process(cls, processes: list[Running], restarts: int = 0) -> RunFile:
        """The run file of processes started by this one."""
        return cls(os.getpid(), start_ticks(os.getpid()), processes, restarts)

    def owner_alive(self) -> bool:
        """True while the process that started them runs."""
        return is_alive(self.owner, self.owner_started)

    def write(self, path: Path) -> None:
        """Replace the file at once: a reader sees the old list or the new, never half."""
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}")
        data = asdict(self)
        partial.write_text(json.dumps(data, indent=2) + "\n")
        os.replace(partial, path)

    @classmethod
    def read(cls, path: Path) -> RunFile | None:
        """The run file at path; None if there is none."""
        try:
            data: dict[str, Any] = json.loads(path.read_text())
        except FileNotFoundError:
            return None
        processes = [Running(**p) for p in data.pop("processes")]
        return cls(**data, processes=processes)
