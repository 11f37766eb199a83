"""How many requests per second the sandbox sustains, per provider route.

    python -m sandbox.loadcheck [--seconds 5] [--concurrency 64] [--url http://127.0.0.1:8787]
                                [--loop uvloop|asyncio] [--rate 0]

Without --url it starts a sandbox in a child process on a free port (so client and server do not
share a GIL), under uvloop as `aftercart sandbox` runs it unless --loop asyncio. Request bodies are
built before the clock starts; each request is distinct. --rate paces the requests (per second,
per route) as a pipeline that is not saturating the sandbox would send them; by default they go as
fast as the sandbox answers.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pywebpush
from py_vapid import Vapid

SID = "AC" + "0" * 32
Request = tuple[str, dict[str, str], bytes]  # path, headers, body


def sendgrid_requests(n: int) -> list[Request]:
    """Distinct mail/send bodies shaped like the project's order notifications."""
    headers = {"Authorization": "Bearer SG.loadcheck", "Content-Type": "application/json"}
    out = []
    for i in range(n):
        mail = {
            "personalizations": [
                {
                    "to": [{"email": f"customer{i}@example.com"}],
                    "custom_args": {"notification_id": f"n-{i}"},
                }
            ],
            "from": {"email": "orders@shop.example", "name": "Aftercart Demo Shop"},
            "subject": f"Your order #{i} has shipped",
            "content": [
                {"type": "text/plain", "value": f"Hi, order #{i} is on its way."},
                {"type": "text/html", "value": f"<p>Hi, order #{i} is on its way.</p>"},
            ],
        }
        out.append(("/v3/mail/send", headers, json.dumps(mail).encode()))
    return out


def twilio_requests(n: int) -> list[Request]:
    """Distinct Messages.json form bodies."""
    auth = "Basic " + base64.b64encode(f"{SID}:token".encode()).decode()
    headers = {"Authorization": auth, "Content-Type": "application/x-www-form-urlencoded"}
    path = f"/2010-04-01/Accounts/{SID}/Messages.json"
    out = []
    for i in range(n):
        form = {
            "To": f"+1555{i:07d}",
            "From": "+15005550006",
            "Body": f"Order #{i} has shipped.",
            "StatusCallback": f"http://127.0.0.1:8080/twilio/status?notification_id=n-{i}",
        }
        out.append((path, headers, urlencode(form).encode()))
    return out


def push_requests(base_url: str, n: int) -> list[Request]:
    """Distinct encrypted pushes to one subscriber, with one VAPID token (as senders reuse it)."""
    req = urllib.request.Request(f"{base_url}/push/subscribers", data=b"{}", method="POST")
    with urllib.request.urlopen(req) as response:
        subscription = json.loads(response.read())
    vapid = Vapid()
    vapid.generate_keys()
    claims = {"sub": "mailto:ops@shop.example", "aud": base_url, "exp": int(time.time()) + 3600}
    vapid_headers = vapid.sign(claims)
    path = subscription["endpoint"][len(base_url) :]
    out = []
    for i in range(n):
        payload = json.dumps(
            {"notification_id": f"n-{i}", "title": "Shipped", "body": f"Order #{i}"}
        )
        encoded = pywebpush.WebPusher(subscription).encode(payload.encode(), "aes128gcm")
        headers = {**vapid_headers, "TTL": "60", "Content-Encoding": "aes128gcm"}
        out.append((path, headers, encoded["body"]))
    return out


async def hammer(
    base_url: str, requests: list[Request], seconds: float, concurrency: int, rate: float = 0
) -> dict[str, Any]:
    """Send requests round-robin from concurrency keep-alive connections for some seconds."""
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    counter = iter(range(10**9))
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(base_url, connector=connector) as session:

        async def worker() -> None:
            while time.perf_counter() < deadline:
                index = next(counter)
                if rate:  # request number index is due index / rate seconds after the start
                    await asyncio.sleep(max(0.0, begun + index / rate - time.perf_counter()))
                path, headers, body = requests[index % len(requests)]
                started = time.perf_counter()
                async with session.post(path, data=body, headers=headers) as response:
                    await response.read()
                latencies.append(time.perf_counter() - started)
                statuses[response.status] = statuses.get(response.status, 0) + 1

        begun = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - begun
    latencies.sort()
    return {
        "requests": len(latencies),
        "req_per_s": round(len(latencies) / elapsed),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 2),
        "statuses": statuses,
    }


def _start_child(loop: str) -> tuple[str, subprocess.Popen[bytes]]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code = f"from sandbox.server import run_sandbox; run_sandbox('127.0.0.1', {port})"
    if loop == "uvloop":  # as the CLI runs it
        code = (
            "import asyncio, uvloop; asyncio.set_event_loop_policy(uvloop.EventLoopPolicy()); "
            + code
        )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL)
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=1):
                return base_url, child
        except OSError:
            time.sleep(0.2)
    child.kill()
    raise TimeoutError("sandbox did not start")


def _cpu_seconds(child: subprocess.Popen[bytes] | None) -> float:
    if child is None:
        return 0.0
    with open(f"/proc/{child.pid}/stat") as stat:  # Linux: utime and stime, in clock ticks
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    """Run the load check and print one JSON line per route."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--url")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop")
    parser.add_argument("--rate", type=float, default=0.0, help="requests per second (0: flat out)")
    args = parser.parse_args()
    child = None
    base_url = args.url
    if base_url is None:
        base_url, child = _start_child(args.loop)
    try:
        routes: dict[str, Callable[[], list[Request]]] = {
            "sendgrid": lambda: sendgrid_requests(2000),
            "twilio": lambda: twilio_requests(2000),
            "push": lambda: push_requests(base_url, 2000),
        }
        for name, build in routes.items():
            requests = build()
            cpu_before = _cpu_seconds(child)
            result = asyncio.run(
                hammer(base_url, requests, args.seconds, args.concurrency, args.rate)
            )
            if child is not None:
                # Server CPU per request: what the sandbox takes from a shared machine.
                cpu = _cpu_seconds(child) - cpu_before
                result["server_cpu_us_per_req"] = round(cpu / result["requests"] * 1e6, 1)
                result["server_cpu_share"] = round(cpu / args.seconds, 2)
            print(json.dumps({"route": name, **result}), flush=True)
        with urllib.request.urlopen(f"{base_url}/contracts/stats") as response:
            print(json.dumps({"contracts": json.loads(response.read())}), flush=True)
    finally:
        if child is not None:
            child.terminate()
            child.wait(timeout=10)


if __name__ == "__main__":
    main()
