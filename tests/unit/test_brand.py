"""The shop's brand and loyalty programme, as customers see them: from the same settings in
`aftercart render` as in the workers; nothing of the demo shop by default; loyalty only when
the shop runs one; no worker with real credentials that would send for an unnamed shop."""

from __future__ import annotations

import pytest
from deciding import NOON, POLICY, PROFILE
from pydantic import ValidationError

from aftercart.cli import main
from channels.render import Renderer
from runtime.brand import Brand
from runtime.settings import Settings
from schemas.codec import new_event
from streams.decide import decide, message_for
from streams.plans import empty
from streams.policy import Policy

BRAND_ENV = {
    "AFTERCART_SHOP_NAME": "Muumi Puoti",
    "AFTERCART_SHOP_URL": "https://muumi.example",
    "AFTERCART_SHOP_LOGO_URL": "https://muumi.example/logo.png",
    "AFTERCART_SHOP_COLOUR": "#0a7d5a",
    "AFTERCART_SHOP_SUPPORT_EMAIL": "apua@muumi.example",
}


def render(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    capsys.readouterr()
    assert main(["render", *argv]) == 0
    return capsys.readouterr().out


def test_render_names_the_shop_the_environment_names(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the shop's brand in the environment, as the workers read it
    for name, value in BRAND_ENV.items():
        monkeypatch.setenv(name, value)
    # When the order confirmation is previewed
    text = render(capsys, "order.placed", "--channel", "email", "--lang", "fi")
    html = render(capsys, "order.placed", "--channel", "email", "--lang", "fi", "--html")
    sms = render(capsys, "order.placed", "--channel", "sms", "--lang", "en")
    # Then it is that shop's: its name, logo, colour and support address
    assert "Muumi Puoti" in text
    assert "https://muumi.example\napua@muumi.example\n" in text
    assert '<img src="https://muumi.example/logo.png" alt="Muumi Puoti"' in html
    assert "background:#0a7d5a" in html
    assert 'Kysyttävää? Ota yhteyttä: <a href="mailto:apua@muumi.example"' in html
    assert sms.startswith("Muumi Puoti: Thanks Aino!")
    assert "Moomin Shop" not in text + html + sms


def test_without_a_brand_no_message_names_the_demo_shop(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for channel in ("email", "sms", "push"):
        out = render(capsys, "order.paid", "--channel", channel)
        assert "Demo Shop" not in out and "shop.example" not in out
    html = render(capsys, "order.paid", "--channel", "email", "--html")
    assert "<img" not in html and "mailto:" not in html


def test_the_sender_is_the_shop_unless_named_otherwise() -> None:
    assert Settings(shop_name="Muumi Puoti").brand.sender_name == "Muumi Puoti"
    assert Settings(shop_name="Muumi Puoti", email_from_name="Muumi").brand.sender_name == "Muumi"


@pytest.mark.parametrize("field", ["shop_url", "shop_logo_url", "shop_support_url"])
def test_a_shop_address_must_be_a_web_address(field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        Settings(**{field: "javascript:alert(1)"})


def test_a_brand_colour_must_be_a_css_hex_colour() -> None:
    with pytest.raises(ValidationError, match="shop_colour"):
        Settings(shop_colour="red;background:url(x)")


def placed_email(policy: Policy) -> str:
    """The order confirmation a customer with points and a tier gets, as sent."""
    profile = {**PROFILE, "language": "en", "loyalty_points": 1234, "loyalty_tier": "silver"}
    data = {"customer_id": "c1", "order_id": "o-1", "order_number": "#7"}
    items = [{"sku": "A", "name": "Mug", "quantity": 1, "unit_price": "9.00"}]
    event = new_event(
        "order.placed", {**data, "currency": "EUR", "total": "9.00", "items": items}, source="t"
    )
    message = message_for(event)
    assert message is not None
    decisions = decide(message, profile, {}, empty(), policy=policy, now=NOON)
    [email] = [d for d in decisions if d.channel == "email"]
    assert email.request is not None
    sent = Renderer(brand=Brand("Muumi Puoti", "https://muumi.example")).email(email.request)
    return sent.text + sent.html


def test_loyalty_is_not_mentioned_unless_the_shop_runs_a_programme() -> None:
    off = placed_email(Policy(quiet=POLICY.quiet))
    on = placed_email(Policy(quiet=POLICY.quiet, loyalty=True))
    assert "points" not in off and "Silver" not in off
    assert "Your membership level: Silver." in on


def test_render_shows_points_only_with_a_loyalty_programme(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "points" not in render(capsys, "order.placed", "--channel", "email")
    monkeypatch.setenv("AFTERCART_LOYALTY_POINTS_PER_UNIT", "1")
    out = render(capsys, "order.placed", "--channel", "email")
    assert "You earned 52 points with this order; your balance is 52 points." in out


@pytest.mark.parametrize(
    ("credentials", "named"),
    [
        ({"AFTERCART_SENDGRID_API_KEY": "SG.real"}, "AFTERCART_SENDGRID_API_KEY"),
        (
            {"AFTERCART_TWILIO_ACCOUNT_SID": "AC1", "AFTERCART_TWILIO_AUTH_TOKEN": "t"},
            "AFTERCART_TWILIO_ACCOUNT_SID, AFTERCART_TWILIO_AUTH_TOKEN",
        ),
        ({"AFTERCART_SMTP_USERNAME": "mailer"}, "AFTERCART_SMTP_USERNAME"),
    ],
)
def test_a_worker_with_real_credentials_and_no_shop_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    credentials: dict[str, str],
    named: str,
) -> None:
    for name, value in credentials.items():
        monkeypatch.setenv(name, value)
    assert main(["worker", "email"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("aftercart worker email: set AFTERCART_SHOP_NAME and AFTERCART_SHOP_URL")
    assert named in line


def test_a_named_shop_or_the_sandbox_may_start() -> None:
    real = {"sendgrid_api_key": "SG.real"}
    assert Settings(**real, shop_name="Muumi", shop_url="https://muumi.example").unbranded() is None
    assert Settings().unbranded() is None  # no credentials: the sandbox
    only_url = Settings(**real, shop_url="https://muumi.example").unbranded()
    assert only_url is not None and "AFTERCART_SHOP_NAME" in only_url
    assert "AFTERCART_SHOP_URL" not in only_url.split(":")[0]
