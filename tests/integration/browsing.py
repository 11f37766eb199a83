"""Shared by the tests that drive a real browser: Debian's Chromium (`make browser`), how it
is launched on a closed network, and where the tests leave their screenshots."""

from __future__ import annotations

import os
from pathlib import Path

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# As root (sessions, CI) Chromium needs --no-sandbox; the rest keep it off the closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"  # git-ignored


def screenshot_path(name: str) -> str:
    """Where a test saves a screenshot (tests/artifacts/NAME.png)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return str(ARTIFACTS / f"{name}.png")
