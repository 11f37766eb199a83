"""A worker's own small HTTP endpoint: /metrics, /healthz and /readyz on a loopback port.

faust's web server stays off (runtime/apps.py): it would also serve faust's own pages, table
contents (customers' profiles) among them, and faust starts it only after table recovery, so
it could never answer "not ready yet". This is aiohttp's small server instead (aiohttp is a
dependency already), run in the worker's own event loop as a service of the faust app: it
starts before the consumer and stops with the app.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from mode import Service
from prometheus_client import CollectorRegistry

from runtime.metrics import ConsumerLag, exposition
from runtime.settings import Settings


class Readiness:
    """Whether the worker does its work now: not before its first rebalance is complete
    (partitions assigned, tables recovered), nor while a later one runs."""

    def __init__(self) -> None:
        self.ready = False
        self.reason = "starting: no partitions assigned yet"
        self.partitions = 0

    def watch(self, app: Any) -> None:
        """Follow a faust app's rebalances through its signals."""
        app.on_partitions_revoked.connect(self._revoked)
        app.on_partitions_assigned.connect(self._assigned)
        app.on_rebalance_complete.connect(self._complete)

    async def _revoked(self, sender: Any, revoked: Any, **kwargs: Any) -> None:
        self.ready, self.reason = False, "rebalancing"

    async def _assigned(self, sender: Any, assigned: Any, **kwargs: Any) -> None:
        self.partitions = len(assigned)
        self.ready, self.reason = False, "recovering tables"

    async def _complete(self, sender: Any, **kwargs: Any) -> None:
        self.ready, self.reason = True, ""


def endpoint(registry: CollectorRegistry, readiness: Readiness) -> web.Application:
    """The three routes, over a registry and a worker's readiness."""

    async def metrics(request: web.Request) -> web.Response:
        body, content_type = exposition(registry, request.headers.get("Accept", ""))
        return web.Response(body=body, headers={"Content-Type": content_type})

    async def alive(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def ready(request: web.Request) -> web.Response:
        if readiness.ready:
            return web.json_response({"ready": True, "partitions": readiness.partitions})
        return web.json_response({"ready": False, "reason": readiness.reason}, status=503)

    application = web.Application()
    application.router.add_get("/metrics", metrics)
    application.router.add_get("/healthz", alive)
    application.router.add_get("/readyz", ready)
    return application


class Endpoint(Service):
    """Serves an aiohttp application on host:port while it runs."""

    def __init__(self, application: web.Application, host: str, port: int, setting: str) -> None:
        super().__init__()
        self.application, self.host, self.port, self.setting = application, host, port, setting
        self.runner: web.AppRunner | None = None

    async def on_start(self) -> None:
        """Bind the port; a port taken is an error that names the setting to change."""
        runner = web.AppRunner(self.application, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.port).start()
        except OSError as exc:
            await runner.cleanup()
            raise RuntimeError(
                f"cannot serve metrics on {self.host}:{self.port} ({exc}); set {self.setting} "
                "to a free port, or 0 to serve none"
            ) from exc
        self.runner = runner
        self.log.info("metrics, /healthz and /readyz on http://%s:%d", self.host, self.port)

    async def on_stop(self) -> None:
        """Close the port."""
        if self.runner is not None:
            await self.runner.cleanup()


def serve_worker(app: Any, registry: CollectorRegistry, settings: Settings, name: str) -> None:
    """Serve the endpoint of a faust app, worker `name` (streams, email, sms or push), on its
    port from settings while the app runs; port 0: none."""
    port = settings.metrics_port(name)
    if not port:
        return
    readiness = Readiness()
    readiness.watch(app)
    registry.register(ConsumerLag(app))
    setting = f"AFTERCART_METRICS_PORT_{name.upper()}"
    service = Endpoint(endpoint(registry, readiness), settings.metrics_host, port, setting)
    app.add_dependency(service)
