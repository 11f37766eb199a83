"""Bearer tokens, as the routes that take them (POST /events, the notifications API) check them."""

from __future__ import annotations

import hmac

from pydantic import SecretStr


class BearerTokens:
    """The tokens a route accepts; none configured means the route is closed."""

    def __init__(self, tokens: list[SecretStr]) -> None:
        self.tokens = [t.get_secret_value().encode() for t in tokens]

    @property
    def closed(self) -> bool:
        """Whether no token at all is configured (every request is refused)."""
        return not self.tokens

    def allow(self, authorization: str) -> bool:
        """Whether an Authorization header carries one of the tokens."""
        # Every token is compared, whichever matches, so the time taken tells nothing.
        scheme, _, token = authorization.partition(" ")
        presented = token.strip().encode()
        matched = False
        for known in self.tokens:
            matched |= hmac.compare_digest(known, presented)
        return scheme.lower() == "bearer" and matched
