"""`aftercart vapid-keys`: a new VAPID key pair for web push."""

from __future__ import annotations

import argparse

from aftercart.commands.base import Command
from runtime.settings import Settings


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Print the private key as a setting and the public key for the browser."""
    from channels.webpush import new_vapid_keys

    private, public = new_vapid_keys()
    print(f"AFTERCART_VAPID_PRIVATE_KEY={private}")
    print(f"# application server key (public, for pushManager.subscribe): {public}")
    return 0


COMMAND = Command("vapid-keys", "print a new VAPID key pair for web push", run)
