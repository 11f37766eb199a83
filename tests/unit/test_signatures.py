"""Webhook signature checks over raw bytes, with rotated secrets."""

from __future__ import annotations

import base64
import hashlib
import hmac

from hypothesis import given
from hypothesis import strategies as st

from ingest.signatures import sign, verify

SECRETS = st.text(min_size=1, max_size=40)


def test_a_signature_made_as_shopify_documents_it_is_accepted() -> None:
    body = b'{"id":820982911946154508,"email":"jon@example.com"}'
    digest = hmac.new(b"shpss_secret", body, hashlib.sha256).digest()
    assert verify(body, base64.b64encode(digest).decode(), ["shpss_secret"])


@given(body=st.binary(max_size=512), secret=SECRETS, previous=SECRETS)
def test_the_current_and_the_previous_secret_both_verify(
    body: bytes, secret: str, previous: str
) -> None:
    assert verify(body, sign(body, secret), [secret, previous])
    assert verify(body, sign(body, previous), [secret, previous])


@given(body=st.binary(min_size=1, max_size=512), secret=SECRETS, flip=st.integers(min_value=0))
def test_any_change_to_the_raw_body_is_refused(body: bytes, secret: str, flip: int) -> None:
    signature = sign(body, secret)
    i = flip % len(body)
    tampered = body[:i] + bytes([body[i] ^ 0x01]) + body[i + 1 :]
    assert not verify(tampered, signature, [secret])


@given(body=st.binary(max_size=64), signature=st.one_of(st.none(), st.text(max_size=60)))
def test_garbage_signatures_are_refused_without_crashing(
    body: bytes, signature: str | None
) -> None:
    assert not verify(body, signature, ["secret"])


def test_a_wrong_secret_is_refused() -> None:
    assert not verify(b"{}", sign(b"{}", "other"), ["secret", "previous"])


def test_no_configured_secret_refuses_everything() -> None:
    assert not verify(b"{}", sign(b"{}", "secret"), [])
