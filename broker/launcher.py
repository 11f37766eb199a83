"""The project's own Kafka: one single-node KRaft broker as a child process, no Docker."""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Self

from broker import admin
from broker.config import LOG4J_CONFIG, LOOPBACK, log_dir, new_cluster_id, server_properties
from broker.detached import BrokerStatus, remove_pid_file, status, stop_detached, write_pid_file
from broker.errors import BrokerError
from broker.jars import ensure_jars

__all__ = [
    "BrokerStatus",
    "LocalKafka",
    "free_port",
    "free_ports",
    "start_detached",
    "status",
    "stop_detached",
]

_PR_SET_PDEATHSIG = 1


def free_ports(count: int) -> list[int]:
    """Distinct loopback ports that were free a moment ago (all held open while choosing)."""
    socks = [socket.socket() for _ in range(count)]
    try:
        for sock in socks:
            sock.bind((LOOPBACK, 0))
        return [sock.getsockname()[1] for sock in socks]
    finally:
        for sock in socks:
            sock.close()


def free_port() -> int:
    """A loopback port that was free a moment ago."""
    return free_ports(1)[0]


def die_with_parent(parent_pid: int) -> Callable[[], None]:
    """A preexec_fn that makes the child receive SIGTERM when its parent dies."""
    libc = ctypes.CDLL(None, use_errno=True)  # loaded before fork: keep the child's work tiny

    def preexec() -> None:
        # Linux sends SIGTERM to the broker when the thread that forked it exits, so a killed
        # test run or CLI never leaves a broker behind holding ports. It is the forking
        # *thread* that counts: call start() from a thread that lives as long as the broker.
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent_pid:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


def log_excerpt(path: Path, lines: int = 20) -> str:
    """The first error and the last lines of the broker log, to explain a failed start."""
    try:
        text = path.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return f"({path} does not exist)"
    # The cause is usually the first ERROR; what follows it is long stack traces of shutdown.
    first = next((i for i, line in enumerate(text) if "] ERROR " in line), None)
    head = text[first : first + 2] if first is not None and first < len(text) - lines else []
    parts = [f"first error in {path}:", *head, "..."] if head else []
    return "\n".join([*parts, f"last lines of {path}:", *text[-lines:]])


class Started:
    """A broker (or cluster) as a context manager: started, waited for until ready, and
    stopped on the way out, or at once if it never got ready."""

    def start(self) -> object:
        raise NotImplementedError

    def wait_ready(self) -> None:
        raise NotImplementedError

    def stop(self) -> object:
        raise NotImplementedError

    def __enter__(self) -> Self:
        try:
            self.start()
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class LocalKafka(Started):
    """One broker+controller on 127.0.0.1, its files under data_dir, its jars under cache_dir;
    alone, or one voter of a local cluster's quorum (broker/cluster.py)."""

    def __init__(
        self,
        data_dir: Path,
        port: int,
        controller_port: int,
        *,
        cache_dir: Path,
        heap: str = "512m",
        die_with_parent: bool = True,
        node_id: int = 1,
        voters: Mapping[int, int] | None = None,
        cluster_id: str | None = None,
    ) -> None:
        self.data_dir = data_dir.resolve()
        self.port = port
        self.controller_port = controller_port
        self.cache_dir = cache_dir
        self.heap = heap
        self.die_with_parent = die_with_parent
        # A node of a local cluster: its id, every voter's controller port, the shared id.
        self.node_id = node_id
        self.voters = voters
        self.cluster_id = cluster_id
        self._proc: subprocess.Popen[bytes] | None = None
        self._terminated: int | None = None  # the pid already sent SIGTERM

    @property
    def bootstrap(self) -> str:
        """Where clients connect: 127.0.0.1:PORT."""
        return f"{LOOPBACK}:{self.port}"

    @property
    def log_path(self) -> Path:
        """The broker's stdout and stderr."""
        return self.data_dir / "kafka.log"

    @property
    def properties_path(self) -> Path:
        """The generated server.properties."""
        return self.data_dir / "server.properties"

    @property
    def pid(self) -> int | None:
        """Pid of the running broker, if any."""
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    def _java(self, libs: Path, main: str, *args: str) -> list[str]:
        return [
            # Serial GC: a small heap on a small machine needs no parallel collector threads.
            "java", f"-Xmx{self.heap}", "-XX:+UseSerialGC", "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={LOG4J_CONFIG}", "-cp", f"{libs}/*", main, *args,
        ]  # fmt: skip

    def _format_storage(self, libs: Path) -> None:
        if (log_dir(self.data_dir) / "meta.properties").exists():
            return
        # The id is kept so a storage format cut short is redone with the same identity.
        id_file = self.data_dir / "cluster.id"
        if not id_file.exists():
            id_file.write_text((self.cluster_id or new_cluster_id()) + "\n")
        cluster_id = id_file.read_text().strip()
        cmd = self._java(libs, "kafka.tools.StorageTool", "format", "--ignore-formatted",
                         "-t", cluster_id, "-c", str(self.properties_path))  # fmt: skip
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            raise BrokerError(
                f"kafka storage format failed in {self.data_dir}:\n{out.stdout}{out.stderr}"
            )

    def start(self) -> int:
        """Fetch jars if needed, format storage on first start, spawn the broker; return its pid."""
        if self.pid is not None:
            raise BrokerError(f"Kafka is already running here (pid {self.pid})")
        libs = ensure_jars(self.cache_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.properties_path.write_text(
            server_properties(
                self.data_dir,
                self.port,
                self.controller_port,
                node_id=self.node_id,
                voters=self.voters,
            )
        )
        self._format_storage(libs)
        preexec = die_with_parent(os.getpid()) if self.die_with_parent else None
        with self.log_path.open("wb") as log:
            self._proc = subprocess.Popen(
                self._java(libs, "kafka.Kafka", str(self.properties_path)),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.data_dir,
                # Own session: a terminal Ctrl-C reaches only the parent, which stops us in order.
                start_new_session=True,
                preexec_fn=preexec,
            )
        return self._proc.pid

    def exit_error(self) -> BrokerError | None:
        """Why the broker this object started is not running (exited, or never started), or None."""
        code = self._proc.poll() if self._proc is not None else -1
        if code is None:
            return None
        return BrokerError(
            f"Kafka exited (code {code}) before it was ready.\n{log_excerpt(self.log_path)}"
        )

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Block until the broker answers metadata requests; raise BrokerError if it dies."""
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            if (error := self.exit_error()) is not None:
                raise error
            # Short probes: if something else holds the port and never answers, the exit of
            # our JVM is still noticed within seconds.
            if admin.is_ready(self.bootstrap, timeout=min(remaining, 3.0)):
                return
            time.sleep(0.1)
        raise BrokerError(
            f"Kafka not ready at {self.bootstrap} after {timeout:.0f}s.\n"
            + log_excerpt(self.log_path)
        )

    def terminate(self) -> None:
        """SIGTERM once, without waiting: the nodes of a cluster are all told before any is
        waited for, so each one's controlled shutdown still finds a controller quorum."""
        proc = self._proc
        if proc is not None and proc.poll() is None and proc.pid != self._terminated:
            proc.terminate()
            self._terminated = proc.pid

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM, wait up to timeout, then SIGKILL; return the exit code."""
        proc = self._proc
        if proc is None:
            return None
        if proc.poll() is None:
            self.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        return proc.returncode

    def kill(self) -> int | None:
        """SIGKILL at once, as a crash or a lost host would end it; return the exit code."""
        proc = self._proc
        if proc is None:
            return None
        if proc.poll() is None:
            proc.kill()
        return proc.wait()


def start_detached(
    data_dir: Path,
    port: int,
    controller_port: int,
    *,
    cache_dir: Path,
    heap: str = "512m",
    timeout: float = 60.0,
) -> BrokerStatus:
    """Start a broker that outlives this process unless one runs; wait for it; record its pid."""
    current = status(data_dir, port)
    if current.running:
        return current
    # No parent-death signal: the CLI exits right after, the broker must stay.
    kafka = LocalKafka(data_dir, port, controller_port, cache_dir=cache_dir, heap=heap,
                       die_with_parent=False)  # fmt: skip
    pid = kafka.start()
    write_pid_file(data_dir, pid)
    try:
        kafka.wait_ready(timeout)
    except BaseException:
        kafka.stop()
        remove_pid_file(data_dir)
        raise
    return BrokerStatus(running=True, pid=pid, bootstrap=kafka.bootstrap)
