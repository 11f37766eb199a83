"""A sandbox on a free loopback port in a background thread, for tests and benchmarks."""

from __future__ import annotations

import asyncio
import atexit
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from aiohttp import web

from sandbox.client import SandboxClient
from sandbox.faults import Faults
from sandbox.server import create_sandbox_app

SandboxHandle = SandboxClient  # the name tests use for a sandbox they started

START_TIMEOUT_S = 60.0  # loading the contracts takes about 4 s, longer on a busy machine


class SandboxThread(threading.Thread):
    """Runs the sandbox's event loop in a daemon thread, on a socket bound before it starts."""

    def __init__(self, host: str = "127.0.0.1", faults: Faults | None = None):
        super().__init__(name="provider-sandbox", daemon=True)
        self._faults = faults
        # Binding first gives the port, hence the base URL, without a race for a free port.
        self._sock = socket.create_server((host, 0))
        self.base_url = f"http://{host}:{self._sock.getsockname()[1]}"
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def run(self) -> None:
        """Thread body: start the site, then serve until stop()."""
        loop = self._loop = asyncio.new_event_loop()
        app = create_sandbox_app(self.base_url, faults=self._faults)
        runner = web.AppRunner(app, access_log=None)
        try:
            loop.run_until_complete(runner.setup())
            loop.run_until_complete(web.SockSite(runner, self._sock).start())
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(runner.cleanup())
            loop.close()

    def wait_ready(self, timeout: float = START_TIMEOUT_S) -> SandboxHandle:
        """Block until the sandbox answers, then return its handle."""
        if not self._ready.wait(timeout):
            raise TimeoutError(f"sandbox did not start within {timeout} s")
        if self._error is not None:
            raise RuntimeError("sandbox failed to start") from self._error
        return SandboxHandle(self.base_url)

    def stop(self) -> None:
        """Stop serving and wait for the thread to end."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._loop.stop)  # queued if not yet running
        self.join(timeout=10)


@contextmanager
def running_sandbox(
    host: str = "127.0.0.1", *, faults: Faults | None = None
) -> Iterator[SandboxHandle]:
    """A sandbox of its own for the duration of the block, with fault profiles if given."""
    thread = SandboxThread(host, faults)
    thread.start()
    try:
        yield thread.wait_ready()
    finally:
        thread.stop()


_shared: SandboxHandle | None = None
_shared_lock = threading.Lock()


def shared_sandbox() -> SandboxHandle:
    """One sandbox per process, started on first use: the contracts load once for all tests."""
    global _shared
    with _shared_lock:
        if _shared is None:
            thread = SandboxThread()
            thread.start()
            _shared = thread.wait_ready()
            atexit.register(thread.stop)
        return _shared
