"""One settings object: sandbox without credentials, real providers with them, secrets hidden."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from runtime.child_env import settings_env
from runtime.settings import Settings


def test_without_credentials_every_provider_is_the_sandbox() -> None:
    settings = Settings(sandbox_port=9999)
    assert settings.sendgrid_base_url == "http://127.0.0.1:9999"
    assert settings.twilio_api_base_url == "http://127.0.0.1:9999"
    assert settings.sandbox_url not in settings.push_origins


def test_with_credentials_the_same_settings_point_at_the_real_providers() -> None:
    settings = Settings(
        sendgrid_api_key=SecretStr("SG.real"),
        twilio_account_sid="AC" + "1" * 32,
        twilio_auth_token=SecretStr("token"),
    )
    assert settings.sendgrid_base_url == "https://api.sendgrid.com"
    assert settings.twilio_api_base_url == "https://api.twilio.com"
    assert settings.twilio_credentials[0] == "AC" + "1" * 32


def test_secrets_never_show_in_repr_or_str() -> None:
    settings = Settings(
        sendgrid_api_key=SecretStr("SG.very-secret"),
        shopify_secrets={"a.myshopify.com": [SecretStr("shop-very-secret")]},
        events_tokens=[SecretStr("token-very-secret")],
    )
    assert "very-secret" not in repr(settings)
    assert "very-secret" not in str(settings)


def test_a_child_process_environment_rebuilds_the_same_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = Settings(
        kafka_bootstrap="127.0.0.1:1234",
        push_allow_sandbox=True,
        sendgrid_api_key=SecretStr("SG.x"),
        push_allowed_origins=("https://push.example",),
        shopify_secrets={
            "a.myshopify.com": [SecretStr("new-shopify-secret"), SecretStr("old-shopify-secret")]
        },
        woocommerce_secrets={"https://woo.example": [SecretStr("woocommerce-secret")]},
        events_tokens=[SecretStr("events-token-0001")],
        dedupe_window_h=1.5,
    )
    for name, value in settings_env(original).items():
        monkeypatch.setenv(name, value)
    assert Settings() == original


def test_the_environment_prefix_is_aftercart(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFTERCART_TOPIC_PREFIX", "myshop")
    assert Settings().topic_prefix == "myshop"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("AFTERCART_SHOPIFY_SECRETS", '{"a.myshopify.com": ["long-enough-secret-1", "short"]}'),
        ("AFTERCART_WOOCOMMERCE_SECRETS", '{"https://woo.example": [""]}'),
        ("AFTERCART_EVENTS_TOKENS", '["                    "]'),
        ("AFTERCART_API_TOKENS", '["token"]'),
        ("AFTERCART_PUSH_SIGNUP_SECRET", "fifteen-chars!!"),
        ("AFTERCART_UNSUBSCRIBE_SECRET", ""),
    ],
)
def test_a_short_or_empty_secret_stops_start_up_naming_its_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValueError, match=f"{variable}: every secret and token must be at least 16"):
        Settings()


def test_secrets_of_sixteen_characters_or_more_are_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFTERCART_EVENTS_TOKENS", '["sixteen-chars-ok"]')
    monkeypatch.setenv("AFTERCART_UNSUBSCRIBE_SECRET", "x" * 16)
    settings = Settings()
    assert [t.get_secret_value() for t in settings.events_tokens] == ["sixteen-chars-ok"]
