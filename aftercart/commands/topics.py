"""`aftercart topics`: create every declared topic that is missing."""

from __future__ import annotations

import argparse

from aftercart.commands.base import Command
from runtime.settings import Settings


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Create what is missing and say what was created."""
    from broker.admin import create_topics
    from schemas.topics import Topics

    declared = Topics(settings.topic_prefix, settings.topic_partitions).all()
    created = create_topics(settings.kafka_bootstrap, declared)
    print(f"created: {', '.join(created) or 'nothing, every topic exists'}")
    return 0


COMMAND = Command("topics", "create every declared topic that is missing (idempotent)", run)
