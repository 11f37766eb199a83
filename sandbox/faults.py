"""The seam for per-channel fault profiles (rate limits, outages, slow answers).

Every provider handler asks its profile first; a profile that answers replaces the provider's normal
answer. Only the no-fault profile exists today.
"""

from __future__ import annotations

from typing import Protocol

from aiohttp import web


class FaultProfile(Protocol):
    """Decides, per request, whether a channel misbehaves instead of answering normally."""

    async def intercept(self, channel: str, request: web.Request) -> web.StreamResponse | None:
        """A response to send instead of the provider's, or None to carry on."""
        ...


class NoFaults:
    """Every provider behaves."""

    async def intercept(self, channel: str, request: web.Request) -> web.StreamResponse | None:
        """Never intercepts."""
        return None
