"""The figures behind the console's overview and the pages' view of customers, from the
records as the pipeline writes them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson

from operate.activity import activity
from operate.history import Life, Step
from pages.customers import Customers
from schemas.topics import Topics

NOW = datetime(2026, 12, 6, 12, 30, 20, tzinfo=UTC)
TOPICS = Topics("t", 2)


def life(channel: str, *steps: tuple[int, str]) -> Life:
    """A notification whose steps happened `minutes` ago."""
    found = Life(f"n-{channel}-{len(steps)}", channel=channel)
    found.steps = [Step(NOW - timedelta(minutes=m), kind) for m, kind in steps]  # type: ignore[arg-type]
    return found


def test_sent_messages_are_counted_per_channel_per_minute_within_the_hour() -> None:
    lives = [
        life("email", (0, "decided"), (0, "accepted")),
        life("email", (3, "decided"), (3, "failed"), (2, "accepted")),
        life("sms", (5, "decided"), (5, "failed"), (4, "failed")),
        life("push", (90, "decided"), (90, "accepted")),  # before the hour
    ]
    done = activity(lives, NOW)
    assert done.sent["email"][-1] == 1 and done.sent["email"][-3] == 1
    assert sum(done.sent["email"]) == 2 and sum(done.sent["push"]) == 0
    assert sum(done.decided) == 3
    assert (done.accepted["email"], done.failed["email"]) == (2, 1)
    assert done.error_rate("email") == 1 / 3
    assert done.error_rate("sms") == 1.0
    assert done.error_rate("push") is None


def test_the_customers_view_follows_profiles_and_preferences_tombstones_too() -> None:
    view = Customers("127.0.0.1:1", TOPICS)
    profiles, prefs = (
        view.folds[TOPICS.changelog("customers")],
        view.folds[TOPICS.changelog("preferences")],
    )
    key = orjson.dumps("c1")
    profile = {"language": "fi-FI", "first_name": "Aino", "email": "Aino@Example.fi"}
    profiles(key, orjson.dumps({**profile, "push_subscriptions": [{"endpoint": "x"}]}))
    prefs(key, orjson.dumps({"shipping": {"sms": False}}))
    seen = view.get("c1")
    assert (seen.language, seen.first_name, seen.push) == ("fi-FI", "Aino", True)
    assert seen.prefs == {"shipping": {"sms": False}}
    assert view.by_email("aino@example.fi") == "c1"
    profiles(key, orjson.dumps({**profile, "email": "aino@new.example"}))  # a new address
    assert view.by_email("aino@example.fi") is None
    assert view.by_email("AINO@new.example") == "c1"
    prefs(key, None)
    profiles(key, None)
    assert view.get("c1").prefs is None and view.get("c1").language == "en"
    assert view.by_email("aino@example.fi") is None
