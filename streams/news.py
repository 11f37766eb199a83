"""What a message is news of, as a customer chooses channels for it: order updates, shipping,
review requests, offers. Each belongs to one of the two kinds the rules know (transactional
news a customer gets by default, marketing only with consent)."""

from __future__ import annotations

# The kinds, each with its news, in the order the preference center lists them.
NEWS_OF_KIND: dict[str, tuple[str, ...]] = {
    "transactional": ("orders", "shipping"),
    "marketing": ("reviews", "offers"),
}
KIND_OF_NEWS = {news: kind for kind, all_news in NEWS_OF_KIND.items() for news in all_news}
NEWS = tuple(KIND_OF_NEWS)
NEWS_WORDS = {
    "orders": "order updates",
    "shipping": "shipping news",
    "reviews": "review requests",
    "offers": "offers and reminders",
}
_OF_TEMPLATE = {
    "order.placed": "orders",
    "order.paid": "orders",
    "order.cancelled": "orders",
    "order.refunded": "orders",
    "fulfillment.shipped": "shipping",
    "fulfillment.out_for_delivery": "shipping",
    "fulfillment.delivered": "shipping",
    "fulfillment.delayed": "shipping",
    "review.request": "reviews",
    "checkout.reminder": "offers",
}


def news_of(template: str) -> str:
    """The news a message's template is: a template the rules do not know is an offer."""
    return _OF_TEMPLATE.get(template, "offers")
