"""Web push: which endpoints a push may go to, checked before any connection is made."""

from __future__ import annotations

import pytest
from pushing import Browser

from channels.errors import ConfigurationError, DisallowedEndpoint
from channels.messages import PushMessage
from channels.webpush import WebPush, check_endpoint
from runtime.settings import DEFAULT_PUSH_ORIGINS, Settings

SANDBOX = "http://127.0.0.1:8787"


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://fcm.googleapis.com/fcm/send/abc:def",
        "https://FCM.googleapis.com:443/fcm/send/abc",
        "https://updates.push.services.mozilla.com/wpush/v2/gAAA",
        "https://web.push.apple.com/QGx1b2",
        "https://wns2-par02p.notify.windows.com/w/?token=BQYAAA",
    ],
)
def test_known_push_services_are_allowed(endpoint: str) -> None:
    assert check_endpoint(endpoint, DEFAULT_PUSH_ORIGINS).scheme == "https"


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://fcm.googleapis.com/fcm/send/abc",  # not https
        "https://169.254.169.254/latest/meta-data/",  # cloud metadata
        "https://localhost/push",
        "https://127.0.0.1/push",
        "https://[::1]/push",
        "https://fcm.googleapis.com:8443/fcm/send/abc",  # a port the origin does not list
        "https://user:pw@fcm.googleapis.com/fcm/send/abc",  # userinfo
        "https://fcm.googleapis.com@169.254.169.254/",  # userinfo hiding the real host
        "https://fcm.googleapis.com@evil.example/",
        "https://fcm.googleapis.com:443@evil.example/",
        "https://evil.example%23@fcm.googleapis.com/",
        "https://fcm.googleapis.com%40evil.example/",
        "https://*.notify.windows.com/w/",  # the wildcard itself is no host
        "https://%2A.notify.windows.com/w/",
        "https://[::ffff:169.254.169.254]/",  # IP literals in other spellings
        "https://2852039166/",
        "https://0xa9fea9fe/",
        "https://x.notify.windows.com:8443/w/",
        "http://x.notify.windows.com/w/",
        "wss://fcm.googleapis.com/fcm/send/abc",
        "//fcm.googleapis.com/fcm/send/abc",
        "https:fcm.googleapis.com/fcm/send/abc",
        "https://fcm.googleapis.com.evil.example/x",
        "https://evil.example/fcm.googleapis.com",
        "https://notify.windows.com/w/",  # the wildcard needs a subdomain
        "https://a.b.notify.windows.com/w/",  # ... of exactly one label
        "https://evil.example\\@fcm.googleapis.com/",
        "https://fcm.googleapis.com/\r\nX: y",
        "https://fcm.googleapis.com./fcm/send/abc",
        "file:///etc/passwd",
        "/push/relative",
        "not a url",
        SANDBOX + "/push/1",  # the sandbox only when it is configured
    ],
)
def test_everything_else_is_refused(endpoint: str) -> None:
    with pytest.raises(DisallowedEndpoint):
        check_endpoint(endpoint, DEFAULT_PUSH_ORIGINS)


def test_sandbox_is_allowed_only_when_enabled() -> None:
    enabled = Settings(sandbox_port=8787, push_allow_sandbox=True).push_origins
    disabled = Settings(sandbox_port=8787).push_origins
    assert check_endpoint(SANDBOX + "/push/1", enabled).port == 8787
    with pytest.raises(DisallowedEndpoint):
        check_endpoint(SANDBOX + "/push/1", disabled)
    with pytest.raises(DisallowedEndpoint):  # same host, other port
        check_endpoint("http://127.0.0.1:8788/push/1", enabled)


@pytest.mark.parametrize(
    "entry",
    [
        "http://push.internal",
        "http://fcm.googleapis.com",
        "https://10.0.0.1",
        "https://[::1]",
        "https://user@push.example",
        "ftp://push.example",
    ],
)
def test_only_https_push_services_may_be_configured(entry: str) -> None:
    # the sandbox is the one plain-http origin, and only through push_allow_sandbox
    with pytest.raises(ConfigurationError):
        WebPush(Settings(push_allowed_origins=(entry,)))


async def test_disallowed_endpoint_is_refused_before_any_connection() -> None:
    sender = WebPush(Settings())
    message = PushMessage("n", Browser().subscription("https://169.254.169.254/x"), b"{}", 60)
    with pytest.raises(DisallowedEndpoint):
        await sender.send(message)
    assert sender._session is None  # no session was ever opened
    await sender.close()
