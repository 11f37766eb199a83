"""The project's own local Apache Kafka broker (KRaft, loopback only) and topic administration."""

from broker.admin import create_topics, describe_topic_configs, wait_for_broker
from broker.detached import BrokerStatus, status, stop_detached
from broker.errors import BrokerError
from broker.jars import ensure_jars
from broker.launcher import LocalKafka, free_port, free_ports, start_detached

__all__ = [
    "BrokerError",
    "BrokerStatus",
    "LocalKafka",
    "create_topics",
    "describe_topic_configs",
    "ensure_jars",
    "free_port",
    "free_ports",
    "start_detached",
    "status",
    "stop_detached",
    "wait_for_broker",
]
