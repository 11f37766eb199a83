"""Small measuring tools: percentiles, peak memory, consumer lag."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by nearest rank."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def peak_rss_mb(pid: int) -> float | None:
    """Peak resident memory of a live process (VmHWM), in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time a live process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_ms_per_notification(cpu: Mapping[str, float], notifications: int) -> dict[str, float]:
    """CPU milliseconds per notification from each process's CPU seconds in a pass: "product"
    is every pipeline worker and the gateway together; each process is also given alone, the
    sandbox, Kafka and the bench's own process (the load generator, which also polls the
    sandbox for arrivals) among them, outside the product's figure."""
    product = sum(c for name, c in cpu.items() if name.startswith("worker-") or name == "gateway")
    each = {name: round(c * 1000 / notifications, 3) for name, c in sorted(cpu.items())}
    return {"product": round(product * 1000 / notifications, 3), **each}


def wait_until(
    done: Callable[[], bool], timeout: float, what: str, check: Callable[[], None] | None = None
) -> None:
    """Poll `done` every 0.2 s; raise TimeoutError naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not done():
        if check is not None:
            check()
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.2)


def machine_probe(loops: int = 3_000_000) -> float:
    """Seconds a fixed pure-Python loop takes now: how fast this machine is at the moment.

    Shared virtual machines vary; the same loop has taken 0.36 to 0.58 s within a minute here.
    Figures taken while it is slow are not comparable with figures taken while it is fast.
    """
    started = time.perf_counter()
    total = 0
    for i in range(loops):
        total += i
    return round(time.perf_counter() - started, 3)
