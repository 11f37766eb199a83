"""How many processes of each pipeline role to run: `aftercart up --workers streams=2,email=2`."""

from __future__ import annotations

import argparse

from schemas.topics import CHANNELS

ROLES = ("streams", *CHANNELS)
# Per role. Processes of a role share its topic's partitions (AFTERCART_TOPIC_PARTITIONS, 4
# by default): one beyond that many gets none and waits as a spare.
MOST = 8


def worker_counts(text: str) -> dict[str, int]:
    """An argparse type: `ROLE=N[,ROLE=N...]` with each role at most once and N from 1 to
    MOST; the roles not named run one process each."""
    counts: dict[str, int] = {}
    for part in text.split(","):
        role, equals, number = part.strip().partition("=")
        if not equals or not role:
            raise argparse.ArgumentTypeError(f"expected ROLE=N (like email=2), not {part!r}")
        if role not in ROLES:
            raise argparse.ArgumentTypeError(
                f"unknown role {role!r}: the roles are {', '.join(ROLES)}"
            )
        if role in counts:
            raise argparse.ArgumentTypeError(f"{role} is named twice")
        if not number.strip().isdigit() or not 1 <= int(number) <= MOST:
            raise argparse.ArgumentTypeError(
                f"{role}={number}: the number of processes is a whole number from 1 to {MOST}"
            )
        counts[role] = int(number)
    return counts
