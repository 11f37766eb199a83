"""A customer's word per news (orders, shipping, reviews, offers) and channel, and a pause
of offers: what the stream processor folds in and decides by, and what explain says."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import orjson
import pytest
from deciding import NOON, PROFILE, decide_now
from pydantic import ValidationError
from test_decide import event

from schemas.events import PreferencesUpdated
from streams.news import news_of
from streams.profiles import apply_preferences

CENTER = "preference center"


def said(prefs: Any = None, at: datetime = NOON, **data: Any) -> dict[str, Any]:
    """The preferences after a preferences.updated event with this data, sent at `at`."""
    update = PreferencesUpdated.model_validate_json(orjson.dumps({"customer_id": "c1", **data}))
    return apply_preferences(prefs, update, at)


def outcome(type_name: str, prefs: Any) -> dict[str, str | None]:
    """Per channel: None when sent now, else why not."""
    return {d.channel: d.suppressed for d in decide_now(event(type_name), PROFILE, prefs)}


def test_sms_switched_off_for_shipping_still_brings_order_updates_and_says_who_and_when() -> None:
    chose_sms = said(transactional={"sms": True})
    prefs = said(chose_sms, shipping={"sms": False}, via=CENTER)
    shipped, paid = outcome("fulfillment.shipped", prefs), outcome("order.paid", prefs)
    assert shipped["email"] is None
    assert shipped["sms"] == (
        "SMS is switched off for shipping news by the customer on 2026-11-23 (preference center)"
    )
    assert paid["sms"] is None  # order updates still come by SMS


def test_a_kinds_later_word_on_a_channel_replaces_what_was_said_for_its_news() -> None:
    prefs = said(shipping={"sms": True}, orders={"sms": False})
    prefs = said(prefs, transactional={"sms": False})
    assert prefs["transactional"] == {"sms": False}
    assert "shipping" not in prefs and "orders" not in prefs
    assert outcome("fulfillment.shipped", prefs)["sms"] == (
        "SMS is switched off for order and delivery news"
    )


def test_offers_by_email_can_be_on_while_review_requests_are_off() -> None:
    prefs = said(offers={"email": True}, reviews={"email": False}, via=CENTER)
    reminder = outcome("checkout.abandoned", prefs)  # decided as a checkout reminder
    assert reminder["email"] is None
    assert reminder["sms"] == "no consent to marketing by SMS"


def test_a_pause_holds_offers_until_its_day_and_ends_early_on_a_past_time() -> None:
    consent = said(marketing={"email": True})
    until = NOON + timedelta(days=30)
    prefs = said(consent, marketing_paused_until=until.isoformat(), via=CENTER)
    assert outcome("checkout.abandoned", prefs)["email"] == (
        "offers and reminders paused by the customer until 2026-12-23 (preference center)"
    )
    assert outcome("order.placed", prefs)["email"] is None  # order news is not paused
    after = {
        d.channel: d.suppressed
        for d in decide_now(
            event("checkout.abandoned"), PROFILE, prefs, now=until + timedelta(seconds=1)
        )
    }
    assert after["email"] is None
    resumed = said(prefs, marketing_paused_until=NOON.isoformat(), via=CENTER)
    assert "paused" not in resumed
    assert outcome("checkout.abandoned", resumed)["email"] is None


def test_every_message_template_is_news_of_one_kind() -> None:
    assert [news_of(t) for t in ("order.refunded", "fulfillment.delayed", "review.request")] == [
        "orders",
        "shipping",
        "reviews",
    ]
    assert news_of("checkout.reminder") == "offers"


def test_a_pause_needs_a_time_with_its_zone() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        PreferencesUpdated.model_validate_json(
            '{"customer_id": "c1", "marketing_paused_until": "2027-01-01T00:00:00"}'
        )
