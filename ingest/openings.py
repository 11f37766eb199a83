"""Which of the gateway's routes are open, and which are closed for want of a secret or token.

One answer, read from the settings, for the gateway's log at start and for the lines
`aftercart up` prints: a route that refuses everything until something is configured says so
where a person looks first, not only in each 401.
"""

from __future__ import annotations

from dataclasses import dataclass

from runtime import preference_links
from runtime.settings import Settings
from runtime.unsubscribe import secrets_of


@dataclass(frozen=True)
class Opening:
    """One route (or a group of routes) of the gateway: open, or closed and what opens it."""

    name: str
    path: str
    open: bool
    why: str  # open: what it takes (how many shops, tokens); closed: the variable to set

    def line(self, base: str = "") -> str:
        """How a person reads it: where it is (under `base`), or why it is closed."""
        if self.open:
            return f"{base}{self.path} ({self.why})"
        return f"closed (set {self.why})"


def openings(settings: Settings) -> list[Opening]:
    """Every route that needs a secret or token, as the settings leave it."""
    shops, stores = len(settings.shopify_secrets), len(settings.woocommerce_secrets)
    events, api = len(settings.events_tokens), len(settings.api_tokens)
    return [
        _opening("shopify webhooks", "/webhooks/shopify", shops, "shop", "SHOPIFY_SECRETS"),
        _opening(
            "woocommerce webhooks", "/webhooks/woocommerce", stores, "store", "WOOCOMMERCE_SECRETS"
        ),
        _opening("cloudevents", "/events", events, "token", "EVENTS_TOKENS"),
        _opening(
            "sendgrid receipts",
            "/receipts/sendgrid",
            int(bool(settings.sendgrid_webhook_public_key)),
            "verification key",
            "SENDGRID_WEBHOOK_PUBLIC_KEY",
        ),
        _twilio_receipts(settings),
        _opening("notifications API", "/notifications/{id}", api, "token", "API_TOKENS"),
        _push_signup(settings),
        _opening(
            "unsubscribe",
            "/unsubscribe",
            int(bool(secrets_of(settings))),
            "signing secret",
            "UNSUBSCRIBE_SECRET",
        ),
        _opening(
            "preference center",
            "/preferences/{link}",
            int(bool(preference_links.secrets_of(settings))),
            "signing secret",
            "PREFERENCES_SECRET",
        ),
        _opening("console", "/console", len(settings.console_tokens), "token", "CONSOLE_TOKENS"),
    ]


def _opening(name: str, path: str, count: int, what: str, variable: str) -> Opening:
    if not count:
        return Opening(name, path, False, f"AFTERCART_{variable}")
    if what.endswith(("key", "secret")):  # one at most
        return Opening(name, path, True, f"{what} set")
    return Opening(name, path, True, f"{count} {what}{'' if count == 1 else 's'}")


def _push_signup(settings: Settings) -> Opening:
    name, path = "web push sign-up", "/push/subscriptions"
    missing = [
        f"AFTERCART_{variable}"
        for variable, value in (
            ("PUSH_SIGNUP_SECRET", settings.push_signup_secret),
            ("VAPID_PRIVATE_KEY", settings.vapid_private_key),
        )
        if value is None
    ]
    if missing:
        return Opening(name, path, False, " and ".join(missing))
    return Opening(name, path, True, "signing secret and VAPID key set")


def _twilio_receipts(settings: Settings) -> Opening:
    name, path = "twilio receipts", "/receipts/twilio"
    if settings.twilio_account_sid and settings.twilio_auth_token:
        return Opening(name, path, True, "the account's auth token")
    if settings.receipts_accept_sandbox:
        return Opening(name, path, True, "signed by the sandbox, which sends the texts")
    why = (
        "AFTERCART_TWILIO_ACCOUNT_SID and AFTERCART_TWILIO_AUTH_TOKEN, "
        "or AFTERCART_RECEIPTS_ACCEPT_SANDBOX=true"
    )
    return Opening(name, path, False, why)
