"""The load of a chaos scenario: orders from synthetic customers at a steady rate, published
onto Kafka by the bench's load generator (bench/paced.py), or posted to the gateway's
POST /events as a shop's own code would, sending each again until it is answered 200.

Either way the load runs in a thread while the scenario's fault happens, and says, for each
event, when it was published (acknowledged by Kafka, or answered 200 by the gateway).
"""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bench.paced import PLACEHOLDER_TIME, publish_paced
from bench.scorecard import Expected
from bench.workload import BenchCustomer, encoded, order_event, orders
from schemas.codec import encode
from schemas.events import CloudEvent
from schemas.notification import notification_id

RETRY_S = 0.2  # a shop's code sending an unanswered event again


@dataclass
class Load:
    """`count` order events of `people` at `rate` per second, from order number `first`."""

    people: list[BenchCustomer]
    count: int
    rate: float
    first: int
    planned: list[tuple[BenchCustomer, CloudEvent]] = field(init=False)
    published_ms: list[float] = field(default_factory=list)
    unanswered: int = 0  # gateway requests that got no 200 and were sent again
    _thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        self.planned = [
            (customer, order_event(customer, self.first + n, type_name, time=PLACEHOLDER_TIME))
            for customer, n, type_name in orders(self.people, self.count)
        ]

    def onto_kafka(self, bootstrap: str, topic: str) -> Load:
        """Start publishing onto `topic`, each event stamped with the moment it goes."""
        values = [encoded(event) for _, event in self.planned]

        def run() -> None:
            self.published_ms = publish_paced(bootstrap, topic, values, self.rate)

        return self._start(run)

    def through_gateway(self, url: str, token: str) -> Load:
        """Start posting each event to `url` (POST /events), again until answered 200."""

        def run() -> None:
            start = time.monotonic()
            for i, (_, event) in enumerate(self.planned):
                time.sleep(max(0.0, start + i / self.rate - time.monotonic()))
                body = encode(event.model_copy(update={"time": datetime.now(UTC)}))
                while not _posted(url, token, body):
                    self.unanswered += 1
                    time.sleep(RETRY_S)
                self.published_ms.append(time.time() * 1000)

        return self._start(run)

    def join(self, timeout: float) -> None:
        """Wait for the last event to be published."""
        assert self._thread is not None
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise TimeoutError(f"the load did not finish publishing within {timeout:.0f}s")

    def expected(self) -> list[Expected]:
        """Each published event's notifications, one per channel its customer chose."""
        return [
            Expected(notification_id(event.id, channel, event.type), customer.id, channel, at)
            for (customer, event), at in zip(self.planned, self.published_ms, strict=True)
            for channel in customer.channels
        ]

    def _start(self, run: Callable[[], None]) -> Load:
        self._thread = threading.Thread(target=run, name="chaos-load", daemon=True)
        self._thread.start()
        return self


def _posted(url: str, token: str, body: bytes) -> bool:
    """Whether the gateway answered 200 to one structured-mode CloudEvent."""
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/cloudevents+json",
            "Authorization": f"Bearer {token}",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return bool(answer.status == 200)
    except urllib.error.HTTPError as exc:
        if exc.code in (408, 429) or exc.code >= 500:  # 503 while Kafka is away
            return False
        raise RuntimeError(f"the gateway refused a chaos event: {exc.code} {exc.read()!r}") from exc
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False  # refused or reset while the gateway was down: send it again
