"""`aftercart status`: every process of a running `aftercart up`, alive or not."""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aftercart.commands.base import Command, positive_number
from aftercart.processes import RUN_FILE, RunFile, Running, is_alive
from runtime.settings import Settings

DESCRIPTION = f"""\
Every process a running `aftercart up` started (Kafka, the sandbox, the gateway and the
workers streams, email, sms and push), with its pid, where it serves and its log. `aftercart
up` lists them in <run dir>/{RUN_FILE} (written as each starts, removed when it stops
cleanly); this reads that file and checks that each pid still runs (the same process, not a
later one given its pid). The sandbox, the gateway and each worker (on its metrics port; with
port 0 it serves nothing, and a running pid is all there is to check) must also answer GET
/healthz, and Kafka accept a connection, within --timeout (--no-probe skips this). Each
process's restarts (`up` starts a process that exits again, after a back-off delay) and why
it last exited are shown too; one that exited and waits for its restart reads `restarting`."""

EPILOG = """\
exit status: 0 every process runs (and answers); 1 any is dead or not answering, or `aftercart
up` is not running (no run file); 2 bad arguments."""

Probe = Callable[[str], bool]


@dataclass(frozen=True)
class Seen:
    """One recorded process, as found now."""

    process: Running
    alive: bool
    answers: bool | None  # None: not asked (nothing to ask, --no-probe, or not alive)

    owner_alive: bool = True

    @property
    def state(self) -> str:
        """alive, not answering, restarting (exited; `up` starts it again soon) or dead."""
        if not self.alive:
            return "restarting" if self.process.restarting and self.owner_alive else "dead"
        return "not answering" if self.answers is False else "alive"


def arguments(parser: argparse.ArgumentParser) -> None:
    """Where the run file is, output, probes."""
    parser.description = DESCRIPTION
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument(
        "--run-dir",
        type=Path,
        metavar="DIR",
        help="the run directory of the stack to look at (default: <AFTERCART_DATA_DIR>/up, "
        "where `aftercart up` runs; <AFTERCART_DATA_DIR>/demo while `aftercart demo` runs)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object")
    parser.add_argument("--no-probe", action="store_true", help="check pids only")
    parser.add_argument(
        "--timeout", type=positive_number, default=1.0, metavar="S", help="per probe (1 s)"
    )


def answers(probe: str, timeout: float) -> bool:
    """True when an http:// probe answers 2xx, or a tcp://host:port accepts a connection."""
    from broker.admin import port_open

    if probe.startswith("tcp://"):
        return port_open(probe.removeprefix("tcp://"), timeout=timeout)
    try:
        with urllib.request.urlopen(probe, timeout=timeout) as response:
            return 200 <= response.status < 300
    except (OSError, urllib.error.URLError):
        return False


def look(run: RunFile, probe: Probe | None) -> list[Seen]:
    """Each recorded process: alive, and (if asked, and it has a probe) answering."""
    seen = []
    owner_alive = run.owner_alive()
    for process in run.processes:
        alive = is_alive(process.pid, process.started)
        asked = alive and probe is not None and bool(process.probe)
        answered = probe(process.probe) if asked and probe else None
        seen.append(Seen(process, alive, answered, owner_alive))
    return seen


def exit_code(seen: Sequence[Seen]) -> int:
    """0 when every process is alive (and answers where asked), else 1."""
    return 0 if all(s.state == "alive" for s in seen) else 1


def table(run: RunFile, seen: Sequence[Seen], path: Path) -> list[str]:
    """A title line and an aligned table, one line per process."""
    owner = "running" if run.owner_alive() else "gone: it did not stop cleanly"
    restarts = f", {run.restarts} restart{'' if run.restarts == 1 else 's'}"
    lines = [("PROCESS", "STATE", "PID", "RESTARTS", "URL", "LOG", "LAST EXIT")]
    for s in seen:
        p = s.process
        row = (p.name, s.state, str(p.pid), str(p.restarts), p.url or "-", p.log, p.last_exit)
        lines.append(row)
    w = [max(len(line[i]) for line in lines) for i in range(6)]
    return [f"started by pid {run.owner} ({owner}{restarts}); run file {path}"] + [
        f"{a:{w[0]}}  {b:{w[1]}}  {c:>{w[2]}}  {d:>{w[3]}}  {e:{w[4]}}  {f:{w[5]}}  {g}".rstrip()
        for a, b, c, d, e, f, g in lines
    ]


def as_json(run: RunFile, seen: Sequence[Seen], path: Path) -> dict[str, Any]:
    """{running, run_file, owner: {pid, alive, restarts}, processes: [{name, state, alive,
    answers, pid, url, log, restarts, last_exit}]}."""
    return {
        "running": True,
        "run_file": str(path),
        "owner": {"pid": run.owner, "alive": run.owner_alive(), "restarts": run.restarts},
        "processes": [
            {
                "name": s.process.name,
                "state": s.state,
                "alive": s.alive,
                "answers": s.answers,
                "pid": s.process.pid,
                "url": s.process.url or None,
                "log": s.process.log,
                "restarts": s.process.restarts,
                "last_exit": s.process.last_exit or None,
            }
            for s in seen
        ],
    }


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Read the run file, look at each process, print, and say by the exit code."""
    path = (args.run_dir or settings.data_dir / "up") / RUN_FILE
    found = RunFile.read(path)
    if found is None:
        message = f"aftercart up is not running (no {path})"
        if args.json:
            print(json.dumps({"running": False, "run_file": str(path), "reason": message}))
        else:
            print(message)
        return 1
    probe = None if args.no_probe else (lambda url: answers(url, args.timeout))
    seen = look(found, probe)
    if args.json:
        print(json.dumps(as_json(found, seen, path)))
    else:
        print("\n".join(table(found, seen, path)))
    sys.stdout.flush()
    return exit_code(seen)


COMMAND = Command(
    "status",
    "every process of a running `aftercart up`: alive or not, its pid, restarts, URL and log",
    run,
    arguments,
)
