"""Every email carries a signed link to the customer's preference center, which holds for
the days the shop set and survives a rotation of the secret."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from deciding import POLICY, PROFILE, decide_now
from pydantic import SecretStr
from test_decide import event
from test_render import request

from channels.render import Renderer
from runtime import preference_links
from runtime.preference_links import LinkRefused
from runtime.settings import Settings
from streams.decide import Decision
from streams.policy import policy_from

NOW = datetime(2026, 12, 6, 15, 30, tzinfo=UTC)
URL = "https://hooks.example/preferences/abc.def"


def test_a_link_names_its_customer_until_the_end_of_its_last_day() -> None:
    expires = preference_links.expiry(NOW, 90)
    assert datetime.fromtimestamp(expires, UTC) == datetime(2027, 3, 7, tzinfo=UTC)
    token = preference_links.token(b"s" * 16, "shop.example/customers/7", expires)
    end = datetime.fromtimestamp(expires, UTC)
    assert preference_links.customer_of([b"s" * 16], token, end - timedelta(seconds=1)) == (
        "shop.example/customers/7"
    )
    with pytest.raises(LinkRefused) as refused:
        preference_links.customer_of([b"s" * 16], token, end)
    assert refused.value.expired


def test_links_signed_with_an_older_secret_work_until_it_is_dropped() -> None:
    old = preference_links.token(b"old preferences secret", "c7", 2_000_000_000)
    settings = Settings(
        preferences_secret=SecretStr("new preferences secret"),
        preferences_secrets=[SecretStr("old preferences secret")],
    )
    secrets = preference_links.secrets_of(settings)
    assert preference_links.customer_of(secrets, old, NOW) == "c7"
    with pytest.raises(LinkRefused) as refused:
        preference_links.customer_of(secrets[:1], old, NOW)
    assert not refused.value.expired


def test_a_short_preferences_secret_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="AFTERCART_PREFERENCES_SECRET"):
        Settings(preferences_secret=SecretStr("short"))


def test_every_email_request_carries_the_link_and_no_sms_or_push_does() -> None:
    settings = Settings(
        preferences_secret=SecretStr("preference-center-secret"),
        public_url="https://hooks.example",
    )
    policy = replace(POLICY, preferences=policy_from(settings).preferences)
    decisions: list[Decision] = decide_now(
        event("fulfillment.shipped"), PROFILE, {"transactional": {"sms": True}}, policy=policy
    )
    data = {d.channel: d.request.data for d in decisions if d.request is not None}
    assert set(data) == {"email", "sms", "push"}
    link = data["email"]["preferences_url"]
    assert link.startswith("https://hooks.example/preferences/")
    token = link.removeprefix("https://hooks.example/preferences/")
    secrets = preference_links.secrets_of(settings)
    assert preference_links.customer_of(secrets, token, NOW) == "c1"
    assert "preferences_url" not in data["sms"] and "preferences_url" not in data["push"]


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "Choose which messages you get, and how:"), ("fi", "Voit valita")],
)
def test_the_email_says_where_to_choose_in_its_language(language: str, words: str) -> None:
    email = Renderer().email(
        request("order.paid", language=language, extra={"preferences_url": URL})
    )
    assert email.text.rstrip().endswith(URL)
    assert words in email.text.splitlines()[-1]
    assert f'<a href="{URL}"' in email.html and words in email.html


def test_without_a_link_the_email_says_nothing_of_it() -> None:
    email = Renderer().email(request("order.paid"))
    assert "/preferences/" not in email.text + email.html
    assert "Choose which messages" not in email.text + email.html
