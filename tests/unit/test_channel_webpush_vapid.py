"""Web push: VAPID keys from settings or made at start, and the tokens signed with them."""

from __future__ import annotations

import pytest
from pushing import claims, public_key
from py_vapid import Vapid
from pydantic import SecretStr

from aftercart.cli import main
from channels.errors import ConfigurationError
from channels.webpush import VapidTokens, WebPush, load_vapid
from runtime.settings import Settings


def test_vapid_token_is_reused_per_origin_until_near_expiry() -> None:
    # given a signer on a fake clock that counts signatures
    now = [1_000_000.0]
    vapid = Vapid()
    vapid.generate_keys()
    tokens = VapidTokens(vapid, "mailto:ops@shop.example", clock=lambda: now[0])
    # when / then
    first = tokens.authorization("https://fcm.googleapis.com")
    assert tokens.authorization("https://fcm.googleapis.com") == first
    assert tokens.authorization("https://web.push.apple.com") != first
    now[0] += 10.5 * 3600  # still 1.5 h left
    assert tokens.authorization("https://fcm.googleapis.com") == first
    now[0] += 1 * 3600  # 30 min left: renew
    renewed = tokens.authorization("https://fcm.googleapis.com")
    assert renewed != first
    assert Vapid.verify(renewed)
    said = claims(renewed)
    assert said["aud"] == "https://fcm.googleapis.com"
    assert said["exp"] == int(now[0]) + 12 * 3600


def test_configured_vapid_key_is_used_and_bad_keys_fail_at_start() -> None:
    vapid = Vapid()
    vapid.generate_keys()
    pem = vapid.private_pem().decode()
    sender = WebPush(Settings(vapid_private_key=SecretStr(pem)))
    assert sender.application_server_key == public_key(vapid)
    with pytest.raises(ConfigurationError) as caught:
        WebPush(Settings(vapid_private_key=SecretStr("not-a-key")))
    assert "not-a-key" not in str(caught.value)
    with pytest.raises(ConfigurationError):
        WebPush(Settings(vapid_subject="ops"))


def test_without_a_key_an_ephemeral_one_is_made_and_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level("WARNING", logger="channels.webpush"):
        first, second = WebPush(Settings()), WebPush(Settings())
    assert first.application_server_key != second.application_server_key
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2 and "ephemeral" in messages[0]
    assert first.application_server_key not in messages[0]


def test_vapid_keys_command_prints_a_pair_the_settings_accept(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given the printed pair
    assert main(["vapid-keys"]) == 0
    assignment, comment = capsys.readouterr().out.splitlines()
    name, private = assignment.split("=", 1)
    public = comment.rsplit(" ", 1)[1]
    # when the private key is configured as printed
    monkeypatch.setenv(name, private)
    settings = Settings()
    # then the sender signs with it, and browsers subscribe with the printed public key
    assert WebPush(settings).application_server_key == public
    signed = load_vapid(settings).sign({"aud": "https://fcm.googleapis.com", "sub": "mailto:a@b.c"})
    assert Vapid.verify(signed["Authorization"])
    assert public_key(Vapid.from_raw_public(public.encode())) == public
    assert main(["vapid-keys"]) == 0
    assert capsys.readouterr().out.split("\n")[0] != assignment  # a new pair each time
