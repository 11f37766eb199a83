"""The whole local system in one place: broker, topics, sandbox and pipeline processes."""

from __future__ import annotations

import json
import logging
import time
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from types import TracebackType

from aftercart.processes import RUN_FILE, Child, RunFile, Running, Supervisor, tail
from aftercart.restarts import RestartBook, exit_reason
from aftercart.scale import ROLES
from broker.admin import create_topics, groups_ready
from broker.launcher import LocalKafka, free_ports
from ingest.openings import openings
from runtime.child_env import settings_env
from runtime.settings import Settings
from schemas.topics import Topics

KAFKA = "kafka"

log = logging.getLogger(__name__)


def free_metrics_ports() -> dict[str, int]:
    """Settings that give each pipeline worker's endpoint a free loopback port, so a stack
    never collides with another one on the same machine."""
    ports = free_ports(len(ROLES))
    return {f"metrics_port_{w}": port for w, port in zip(ROLES, ports, strict=True)}


class StackError(RuntimeError):
    """A part of the local system did not start; the message says which and why."""


class Stack:
    """Starts what `aftercart up`, `make demo`, the tests and the bench need, and stops it all."""

    def __init__(
        self,
        settings: Settings,
        run_dir: Path,
        *,
        own_broker: bool = True,
        restarts: RestartBook | None = None,
    ) -> None:
        self.settings = settings
        self.run_dir = run_dir
        self.topics = Topics(settings.topic_prefix, settings.topic_partitions)
        self.supervisor = Supervisor(run_dir / "logs")
        self.restarts = restarts or RestartBook()
        self.run_file = run_dir / RUN_FILE
        self._urls: dict[str, tuple[str, str]] = {}  # child name: (URL, what answers if alive)
        self._recorded = False
        self._last: dict[str, Running] = {}  # each process as last recorded while it ran
        self.broker: LocalKafka | None = None
        if own_broker:
            self.broker = LocalKafka(
                run_dir / "kafka",
                settings.kafka_port,
                settings.kafka_controller_port,
                cache_dir=settings.cache_dir,
                heap=settings.kafka_heap,
            )

    def start(
        self,
        workers: Sequence[str] = ROLES,
        *,
        wait: bool = True,
        gateway: bool = True,
        counts: Mapping[str, int] | None = None,
    ) -> None:
        """Broker, topics, sandbox, gateway, then the pipeline workers (`counts`: processes of
        a role, one where not named); stops all on failure."""
        try:
            if self.broker is not None:
                self.broker.start()
                self.broker.wait_ready(90)
            create_topics(self.settings.kafka_bootstrap, self.topics.all())
            env = settings_env(self.settings)
            sandbox = self.supervisor.spawn_cli("sandbox", ["sandbox"], env)
            url = self.settings.sandbox_url
            self._urls["sandbox"] = (url, f"{url}/healthz")
            self.record()
            self._wait_http(sandbox, f"{self.settings.sandbox_url}/healthz", 60)
            if gateway:
                self.start_gateway()
            self.start_workers(workers, wait=wait, counts=counts)
        except BaseException:
            self.stop()
            raise

    def start_workers(
        self,
        workers: Sequence[str] = ROLES,
        *,
        wait: bool = True,
        counts: Mapping[str, int] | None = None,
    ) -> None:
        """Start pipeline workers (broker and topics must be up), `counts[role]` processes of a
        role where given (they share its partitions); wait for their groups."""
        env = settings_env(self.settings)
        for name in workers:
            child = self.supervisor.spawn_cli(f"worker-{name}", ["worker", name], env)
            if base := self.worker_url(name):
                self._urls[child.name] = (base, f"{base}/healthz")
        for name in workers:
            for _ in range((counts or {}).get(name, 1) - 1):
                self.add_worker(name)
        self.record()
        if wait:
            self.wait_workers(workers)

    def add_worker(self, worker: str) -> str:
        """Start one more `worker` beside those running, on a free metrics port: it joins
        their consumer group, and Kafka moves partitions to it. Its process's name."""
        same = [c for c in self.supervisor.children if c.name.startswith(f"worker-{worker}")]
        name = f"worker-{worker}-{len(same) + 1}"
        [port] = free_ports(1)
        settings = self.settings.model_copy(update={f"metrics_port_{worker}": port})
        self.supervisor.spawn_cli(name, ["worker", worker], settings_env(settings))
        base = f"http://{settings.metrics_host}:{port}"
        self._urls[name] = (base, f"{base}/healthz")
        self.record()
        return name

    def kill(self, name: str) -> None:
        """SIGKILL a process of this stack, as a crash ends it, and forget it (its replacement
        is started by the caller: start_workers, start_gateway)."""
        [child] = [c for c in self.supervisor.children if c.name == name]
        child.process.kill()
        child.process.wait()
        self.supervisor.children.remove(child)
        self.record()

    def stop_process(self, name: str) -> None:
        """SIGTERM a process of this stack and wait for it, as an operator scales down."""
        [child] = [c for c in self.supervisor.children if c.name == name]
        self.supervisor.stop(child)
        self.record()

    def group_ids(self, workers: Sequence[str]) -> list[str]:
        """Consumer group of each pipeline worker."""
        return [
            self.topics.streams_app_id if w == "streams" else self.topics.channel_app_id(w)
            for w in workers
        ]

    def wait_workers(self, workers: Sequence[str] = ROLES, timeout: float = 120) -> None:
        """Block until every worker's consumer group is stable with partitions assigned."""
        self.wait_groups(self.group_ids(workers), timeout)

    def wait_ready(self, timeout: float = 120) -> None:
        """Block until every pipeline worker answers /readyz ready: partitions assigned and
        its tables recovered."""
        for child in list(self.supervisor.children):
            base, _ = self._urls.get(child.name, ("", ""))
            if child.name.startswith("worker-") and base:
                self._wait_http(child, f"{base}/readyz", timeout)

    def wait_groups(self, groups: Sequence[str], timeout: float = 120) -> None:
        """Block until each consumer group is stable with partitions assigned."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check()
            if groups_ready(self.settings.kafka_bootstrap, list(groups)):
                return
            time.sleep(0.5)
        raise StackError(f"consumer groups {list(groups)} not ready within {timeout:.0f}s")

    def check(self) -> None:
        """Raise StackError naming any process that has died, with the end of its log."""
        for child in self.supervisor.dead():
            raise StackError(
                f"{child.name} exited with code {child.process.returncode}; "
                f"its log ({child.log_path}) ends:\n{child.tail()}"
            )
        if self.broker is not None and self.broker.pid is None:
            raise StackError(f"Kafka stopped; see {self.broker.log_path}")

    def tend(self) -> None:
        """Start again, each after its back-off delay, the processes that have exited (the
        broker too, if this stack started it), saying why each exited; the rest run on."""
        changed = False
        for child in self.supervisor.children:
            if child.process.poll() is not None and not self.restarts.waiting(child.name):
                self._exited(child.name, exit_reason(child.process.returncode), child.log_path)
                changed = True
        broker = self.broker
        if broker is not None and broker.pid is None and not self.restarts.waiting(KAFKA):
            code = broker.stop()  # reaps it; its exit code
            self._exited(KAFKA, exit_reason(code if code is not None else 0), broker.log_path)
            changed = True
        for name in self.restarts.due():
            self._restart(name)
            changed = True
        if changed:
            self.record()

    def _exited(self, name: str, reason: str, log_path: Path) -> None:
        delay = self.restarts.exited(name, reason)
        fast = self.restarts.of(name).fast_exits
        streak = f" ({fast} exits in a row soon after starting)" if fast > 1 else ""
        log.warning(
            "%s %s%s; starting it again in %.0f s. Its log (%s) ends:\n%s",
            name, reason, streak, delay, log_path, tail(log_path, 10),
        )  # fmt: skip

    def _restart(self, name: str) -> None:
        self.restarts.restarted(name)
        try:
            if name == KAFKA and self.broker is not None:
                self.broker.start()
            else:
                child = next(c for c in self.supervisor.children if c.name == name)
                self.supervisor.restart(child)
        except Exception as exc:  # a start that fails is one more exit, retried later
            delay = self.restarts.exited(name, f"could not start: {exc}")
            log.warning("%s could not start again: %s; next try in %.0f s", name, exc, delay)
            return
        log.warning("%s started again (restart %d)", name, self.restarts.of(name).count)

    def start_gateway(self, settings: Settings | None = None, name: str = "gateway") -> Child:
        """Start a webhook gateway (by default with the stack's settings); wait until ready."""
        settings = settings or self.settings
        child = self.supervisor.spawn_cli(name, ["gateway"], settings_env(settings))
        base = f"http://{settings.gateway_host}:{settings.gateway_port}"
        self._urls[name] = (base, f"{base}/healthz")
        self.record()
        self._wait_http(child, f"{base}/readyz", 60)
        return child

    def stop_gateway(self) -> None:
        """Stop the webhook gateway, if it runs."""
        for child in [c for c in self.supervisor.children if c.name == "gateway"]:
            self.supervisor.stop(child)
        self.record()

    @property
    def gateway_url(self) -> str:
        """Base URL of the webhook gateway."""
        return f"http://{self.settings.gateway_host}:{self.settings.gateway_port}"

    def urls(self) -> list[tuple[str, str]]:
        """One (service, URL) line per service, for people."""
        lines = [("kafka", f"kafka://{self.settings.kafka_bootstrap}")]
        lines.append(("sandbox", self.settings.sandbox_url))
        lines.append(("sandbox outbox", f"{self.settings.sandbox_url}/outbox"))
        if any(child.name == "gateway" for child in self.supervisor.children):
            lines.append(("gateway", self.gateway_url))
            lines.append(("gateway metrics", f"{self.gateway_url}/metrics"))
            for route in openings(self.settings):  # the same lines the gateway logs
                lines.append((route.name, route.line(self.gateway_url)))
        for child in self.supervisor.children:
            if child.name.startswith("worker-"):
                lines.append((child.name, f"log {child.log_path}"))
                base, _ = self._urls.get(child.name, ("", ""))
                if base:
                    role = child.name.removeprefix("worker-")
                    lines.append((f"{role} metrics", f"{base}/metrics"))
        return lines

    def worker_url(self, worker: str) -> str:
        """Where a pipeline worker serves /metrics, /healthz and /readyz; "" at port 0."""
        port = self.settings.metrics_port(worker)
        return f"http://{self.settings.metrics_host}:{port}" if port else ""

    def stop(self) -> None:
        """Stop the pipeline and sandbox, then the broker."""
        self.supervisor.stop_all()
        if self.broker is not None:
            self.broker.stop()
        if self._recorded:  # not another stack's file, left alone by a start that failed
            self.run_file.unlink(missing_ok=True)

    def record(self) -> None:
        """Write the run file `aftercart status` reads: every process started here, now, with
        its restarts (one that exited, as it was when it ran)."""
        bootstrap = self.settings.kafka_bootstrap
        found = []
        broker = self.broker
        if broker is not None and (broker.pid is not None or KAFKA in self._last):
            url, probe = f"kafka://{bootstrap}", f"tcp://{bootstrap}"
            pid = broker.pid or self._last[KAFKA].pid
            found.append(
                self._entry(KAFKA, pid, broker.pid is not None, url, broker.log_path, probe)
            )
        for child in self.supervisor.children:
            url, probe = self._urls.get(child.name, ("", ""))
            alive = child.process.poll() is None
            found.append(
                self._entry(child.name, child.process.pid, alive, url, child.log_path, probe)
            )
        RunFile.of_this_process(found, self.restarts.total).write(self.run_file)
        self._recorded = True

    def _entry(
        self, name: str, pid: int, alive: bool, url: str, log_path: Path, probe: str
    ) -> Running:
        last = self._last.get(name)
        if last is None or last.pid != pid:
            last = Running.of(name, pid, url, log_path, probe)  # no start time if it is gone
            if alive:
                self._last[name] = last
        r = self.restarts.of(name)
        return replace(last, restarts=r.count, last_exit=r.last_exit, restarting=r.due is not None)

    def __enter__(self) -> Stack:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _wait_http(self, child: Child, url: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if child.process.poll() is not None:
                raise StackError(f"{child.name} exited at start; its log ends:\n{child.tail()}")
            try:
                with urllib.request.urlopen(url, timeout=1) as response:
                    answer = json.load(response)
                    if answer.get("status") == "ok" or answer.get("ready") is True:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise StackError(f"{child.name} did not answer {url} within {timeout:.0f}s")
