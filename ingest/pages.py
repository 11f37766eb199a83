"""The few pages the gateway shows a person (the unsubscribe link): small, escaped, no scripts."""

from __future__ import annotations

from html import escape

STYLE = "font-family:sans-serif;max-width:32em;margin:3em auto;line-height:1.5"


def _page(title: str, body: str) -> str:
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f'<meta name="viewport" content="width=device-width"></head>'
        f'<body style="{STYLE}">{body}</body></html>'
    )


def confirm(shop: str, query: str) -> str:
    """Ask before unsubscribing: the button posts back to the same link."""
    action = escape(f"?{query}", quote=True)
    return _page(
        f"Unsubscribe from {shop}",
        f"<h1>No more offers from {escape(shop)}?</h1>"
        "<p>You will still hear about your orders and deliveries.</p>"
        f'<form method="post" action="{action}"><button type="submit">Unsubscribe</button></form>',
    )


def done(shop: str) -> str:
    """Said once the unsubscribe is on Kafka."""
    return _page(
        f"Unsubscribed from {shop}",
        f"<h1>You are unsubscribed</h1><p>{escape(shop)} will send you no more offers by email. "
        "Order and delivery news still reach you.</p>",
    )
