"""`make bench` with `--profile DIR`: where each worker spends its CPU in the throughput pass.

A `py-spy record` is attached to every pipeline process (and the sandbox) while the pass
runs, sampling 100 times a second from outside the process, with `--nonblocking` so the
worker is never paused. Each writes its samples as collapsed stacks (`<name>.collapsed.gz`,
gzipped, one line per distinct stack and its sample count: the input of any flame graph tool,
e.g. speedscope or flamegraph.pl), and `summary(...)` turns them into `<name>.txt`: the functions
that use the most samples, on their own (self) and with what they call (inclusive). The
figures of a profiled run are not comparable with unprofiled ones: py-spy takes a share of
the two cores; the run's results say it was profiled.
"""

from __future__ import annotations

import gzip
import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

RATE = 100  # samples a second
TOP = 30  # functions in each summary table


@contextmanager
def profiled(pids: Mapping[str, int], into: Path) -> Iterator[None]:
    """Sample each named process while the block runs; collapsed stacks and a summary of each
    land in `into`. Without py-spy on PATH beside the interpreter, says so and raises."""
    spy = shutil.which("py-spy") or shutil.which(str(Path(sys.executable).parent / "py-spy"))
    if spy is None:
        raise RuntimeError("--profile needs py-spy (pip install py-spy; it is in the dev extras)")
    into.mkdir(parents=True, exist_ok=True)
    spies = {
        name: subprocess.Popen(
            [
                spy,
                "record",
                "--pid",
                str(pid),
                "--rate",
                str(RATE),
                "--nonblocking",
                "--format",
                "raw",
                "--output",
                str(into / f"{name}.collapsed"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for name, pid in pids.items()
    }
    try:
        yield
    finally:
        for process in spies.values():
            process.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
        for name, process in spies.items():
            process.wait(timeout=60)
            collapsed = into / f"{name}.collapsed"
            if collapsed.exists():
                stacks = collapsed.read_text()
                (into / f"{name}.txt").write_text(summary(name, stacks))
                (into / f"{name}.collapsed.gz").write_bytes(gzip.compress(stacks.encode()))
                collapsed.unlink()


def summary(name: str, collapsed: str, top: int = TOP) -> str:
    """The functions with the most samples in collapsed stacks (`frame;frame;... count`),
    self and inclusive, as a plain text report."""
    own: Counter[str] = Counter()
    within: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [f for f in stack.split(";") if not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            within[frame] += count
    lines = [f"{name}: {total} samples at {RATE}/s ({total / RATE:.1f} s of one core)", ""]
    for title, table in (("self", own), ("inclusive", within)):
        lines.append(f"top {top} by {title} samples")
        ranked = sorted(table.items(), key=lambda item: (-item[1], item[0]))  # ties by name
        for frame, count in ranked[:top]:
            lines.append(f"{100 * count / max(total, 1):6.1f}%  {count:6d}  {frame}")
        lines.append("")
    return "\n".join(lines)
