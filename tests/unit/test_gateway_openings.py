"""Which routes the gateway opens: what `aftercart up` prints and the gateway logs at start."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

from aftercart.processes import Child
from aftercart.stack import Stack
from ingest.openings import openings
from runtime.settings import Settings


def test_with_nothing_configured_every_guarded_route_names_what_opens_it() -> None:
    lines = {o.name: o.line() for o in openings(Settings())}

    assert lines == {
        "shopify webhooks": "closed (set AFTERCART_SHOPIFY_SECRETS)",
        "woocommerce webhooks": "closed (set AFTERCART_WOOCOMMERCE_SECRETS)",
        "cloudevents": "closed (set AFTERCART_EVENTS_TOKENS)",
        "sendgrid receipts": "closed (set AFTERCART_SENDGRID_WEBHOOK_PUBLIC_KEY)",
        "twilio receipts": (
            "closed (set AFTERCART_TWILIO_ACCOUNT_SID and AFTERCART_TWILIO_AUTH_TOKEN, "
            "or AFTERCART_RECEIPTS_ACCEPT_SANDBOX=true)"
        ),
        "notifications API": "closed (set AFTERCART_API_TOKENS)",
        "web push sign-up": (
            "closed (set AFTERCART_PUSH_SIGNUP_SECRET and AFTERCART_VAPID_PRIVATE_KEY)"
        ),
        "unsubscribe": "closed (set AFTERCART_UNSUBSCRIBE_SECRET)",
        "preference center": "closed (set AFTERCART_PREFERENCES_SECRET)",
        "console": "closed (set AFTERCART_CONSOLE_TOKENS)",
    }


def test_configured_routes_are_open_and_say_with_what() -> None:
    settings = Settings(
        shopify_secrets={"a.myshopify.com": [SecretStr("s" * 16)], "b.myshopify.com": []},
        events_tokens=[SecretStr("t" * 16)],
        api_tokens=[SecretStr("u" * 16), SecretStr("v" * 16)],
        unsubscribe_secret=SecretStr("w" * 16),
        preferences_secret=SecretStr("p" * 16),
        console_tokens=[SecretStr("c" * 16)],
    )
    base = "http://127.0.0.1:8080"

    lines = {o.name: o.line(base) for o in openings(settings)}

    assert lines["shopify webhooks"] == f"{base}/webhooks/shopify (2 shops)"
    assert lines["cloudevents"] == f"{base}/events (1 token)"
    assert lines["notifications API"] == f"{base}/notifications/{{id}} (2 tokens)"
    assert lines["unsubscribe"] == f"{base}/unsubscribe (signing secret set)"
    assert lines["preference center"] == f"{base}/preferences/{{link}} (signing secret set)"
    assert lines["console"] == f"{base}/console (1 token)"
    assert lines["woocommerce webhooks"] == "closed (set AFTERCART_WOOCOMMERCE_SECRETS)"
    sandboxed = openings(Settings(receipts_accept_sandbox=True))
    [twilio] = [o.line(base) for o in sandboxed if o.name == "twilio receipts"]
    assert twilio == f"{base}/receipts/twilio (signed by the sandbox, which sends the texts)"
    half = openings(Settings(push_signup_secret=SecretStr("x" * 32)))
    [signup] = [o.line() for o in half if o.name == "web push sign-up"]
    assert signup == "closed (set AFTERCART_VAPID_PRIVATE_KEY)"


def test_aftercart_up_prints_each_route_open_or_closed(tmp_path: Path) -> None:
    settings = Settings(events_tokens=[SecretStr("t" * 16)])
    stack = Stack(settings, tmp_path, own_broker=False)
    stack.supervisor.children.append(Child("gateway", None, tmp_path / "gateway.log"))  # type: ignore[arg-type]

    lines = dict(stack.urls())

    assert lines["cloudevents"] == "http://127.0.0.1:8080/events (1 token)"
    assert lines["shopify webhooks"] == "closed (set AFTERCART_SHOPIFY_SECRETS)"
    assert lines["notifications API"] == "closed (set AFTERCART_API_TOKENS)"
