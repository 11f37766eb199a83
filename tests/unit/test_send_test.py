"""`aftercart send-test`: what the recipient sees is marked as a test; a bad address, template
or language is refused before anything is sent."""

from __future__ import annotations

import json

import pytest

from aftercart.cli import main
from channels.render import TEST_MARK, Renderer
from channels.sms_segments import cost
from operate.sendtest import BadAddress, sample_to

SUBSCRIPTION = json.dumps(
    {"endpoint": "https://push.example/send/abc", "keys": {"p256dh": "key", "auth": "secret"}}
)


def test_the_recipient_sees_a_test_marked_as_such() -> None:
    renderer = Renderer()
    email = renderer.email(sample_to("order.placed", "email", "fi", "ops@shop.example"))
    assert email.subject.startswith(TEST_MARK)
    assert email.to == "ops@shop.example"
    sms = renderer.sms(sample_to("fulfillment.shipped", "sms", "en", "+358401234567"))
    assert sms.body.startswith(TEST_MARK)
    assert cost(sms.body).segments <= 2  # the mark counts toward the SMS's length
    push = renderer.push(sample_to("order.placed", "push", "en", SUBSCRIPTION), ttl=60)
    assert json.loads(push.payload)["title"].startswith(TEST_MARK)
    assert push.subscription.endpoint == "https://push.example/send/abc"


def test_each_test_send_has_a_notification_id_of_its_own() -> None:
    first = sample_to("order.placed", "email", "en", "ops@shop.example")
    second = sample_to("order.placed", "email", "en", "ops@shop.example")
    assert first.notification_id != second.notification_id
    assert first.notification_id.startswith("test-")
    assert first.test and first.customer_id == "aftercart-send-test"


def test_a_customers_message_is_not_marked() -> None:
    request = sample_to("order.placed", "email", "en", "ops@shop.example")
    email = Renderer().email(request.model_copy(update={"test": False}))
    assert not email.subject.startswith(TEST_MARK)


@pytest.mark.parametrize(
    ("channel", "to", "said"),
    [
        ("email", "not an address", "not an email address: 'not an address'"),
        ("sms", "0401234567", "not a phone number in E.164 form"),
        ("push", '{"endpoint": "https://x"}', "not a push subscription's JSON: keys"),
        ("push", "ops@shop.example", "not a push subscription's JSON"),
    ],
)
def test_an_address_the_channel_cannot_take_is_refused(channel: str, to: str, said: str) -> None:
    with pytest.raises(BadAddress) as refused:
        sample_to("order.placed", channel, "en", to)
    assert str(refused.value).startswith(said)


def test_bad_arguments_exit_2_with_one_line_before_anything_is_sent(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Kafka is nowhere: a refusal must come before any attempt to reach it
    monkeypatch.setenv("AFTERCART_KAFKA_BOOTSTRAP", "127.0.0.1:1")
    for argv, said in [
        (["--channel", "sms", "--to", "12"], "not a phone number"),
        (["--channel", "email", "--to", "a@b.example", "--template", "nope"], "unknown event"),
        (["--channel", "email", "--to", "a@b.example", "--lang", "xx"], "no templates for"),
    ]:
        assert main(["send-test", *argv]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("aftercart send-test: ") and said in err
        assert len(err.splitlines()) == 1
    assert main(["send-test", "--channel", "email", "--to", "a@b.example"]) == 3
    assert "cannot reach Kafka at 127.0.0.1:1" in capsys.readouterr().err
