"""What the pages know of each customer: their preferences, language, email address and
whether a browser of theirs is subscribed to web push, followed from the stream processor's
changelogs (the customers and preferences tables) in the gateway, so a page is answered from
memory. Memory: one small entry per customer who has a profile or said a preference."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from broker.following import Following
from schemas.topics import Topics

CLIENT_ID = "aftercart-gateway-customers"


@dataclass(frozen=True)
class Customer:
    """One customer as the page needs them."""

    language: str = "en"
    first_name: str = ""
    push: bool = False  # a browser of theirs is subscribed
    prefs: dict[str, Any] | None = None


class Customers(Following):
    """The customers, as the tables' changelogs say; `get` once `waiting` is None."""

    def __init__(self, bootstrap: str, topics: Topics, *, recheck_s: float = 5.0) -> None:
        self.profiles: dict[str, tuple[str, str, bool]] = {}
        self.prefs: dict[str, dict[str, Any]] = {}
        self.emails: dict[str, str] = {}  # email address (lowercased): customer id
        self.addresses: dict[str, str] = {}  # customer id: their address in `emails`
        folds = {
            topics.changelog("customers"): self._profile,
            topics.changelog("preferences"): self._preferences,
        }
        super().__init__(
            bootstrap,
            folds,
            CLIENT_ID,
            recheck_s=recheck_s,
            ready=lambda: f"{len(self.profiles)} customers known",
        )

    def get(self, customer_id: str) -> Customer:
        """What is known of a customer (a stranger: nothing said, English)."""
        with self.lock:
            language, first_name, push = self.profiles.get(customer_id, ("en", "", False))
            return Customer(language, first_name, push, self.prefs.get(customer_id))

    def by_email(self, address: str) -> str | None:
        """The customer whose profile holds this email address, if any."""
        with self.lock:
            return self.emails.get(address.strip().lower())

    def _profile(self, key: bytes | None, value: bytes | None) -> None:
        if key is None:
            return
        customer = orjson.loads(key)
        old = self.addresses.pop(customer, None)
        if old is not None and self.emails.get(old) == customer:
            del self.emails[old]
        if value is None:
            self.profiles.pop(customer, None)
            return
        profile = orjson.loads(value)
        if profile.get("email"):
            address = str(profile["email"]).lower()
            self.emails[address] = customer
            self.addresses[customer] = address
        self.profiles[customer] = (
            profile.get("language") or "en",
            profile.get("first_name") or "",
            bool(profile.get("push_subscriptions")),
        )

    def _preferences(self, key: bytes | None, value: bytes | None) -> None:
        if key is None:
            return
        customer = orjson.loads(key)
        if value is None:
            self.prefs.pop(customer, None)
        else:
            self.prefs[customer] = orjson.loads(value)
