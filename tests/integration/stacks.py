"""Settings for a stack of the integration tests on the session's broker."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import uuid4

from aftercart.settings import Settings
from broker import free_ports


def stack_settings(kafka_bootstrap: str, data_dir: Path, **extra: Any) -> Settings:
    """Settings for a stack on the session's broker: its own topics (a fresh prefix, two
    partitions) and free loopback ports for its sandbox (HTTP and SMTP) and gateway."""
    sandbox_port, smtp_port, gateway_port = free_ports(3)
    ports = {"sandbox_port": sandbox_port, "sandbox_smtp_port": smtp_port}
    return Settings(
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=f"t{uuid4().hex[:8]}",
        topic_partitions=2,
        gateway_port=gateway_port,
        data_dir=data_dir,
        **(ports | extra),
    )
