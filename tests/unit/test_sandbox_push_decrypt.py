"""The browser's direct aes128gcm decryption answers exactly as http_ece does."""

from __future__ import annotations

import os

import http_ece
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sandbox.push_browser import Subscriber, Subscribers, _decrypt_aes128gcm


@pytest.fixture(scope="module")
def subscriber() -> Subscriber:
    return Subscribers().create("reference")


def encrypt(subscriber: Subscriber, plaintext: bytes, rs: int = 4096) -> bytes:
    point = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), subscriber.public_key)
    return bytes(
        http_ece.encrypt(
            plaintext,
            salt=os.urandom(16),
            private_key=ec.generate_private_key(ec.SECP256R1()),
            dh=point,
            auth_secret=subscriber.auth_secret,
            version="aes128gcm",
            rs=rs,
        )
    )


def reference(subscriber: Subscriber, body: bytes) -> bytes | str:
    """http_ece's answer: the plaintext, or the error the sandbox would record."""
    try:
        return bytes(
            http_ece.decrypt(
                body,
                private_key=subscriber.private_key,
                auth_secret=subscriber.auth_secret,
                version="aes128gcm",
            )
        )
    except (http_ece.ECEException, ValueError, TypeError) as exc:
        return f"the browser could not decrypt the message: {exc}"


def answer(subscriber: Subscriber, body: bytes) -> bytes | str:
    try:
        return subscriber.decrypt(body)
    except ValueError as exc:
        return str(exc)


@pytest.mark.parametrize("rs", [18, 19, 40, 100, 4096])
@pytest.mark.parametrize("size", [0, 1, 17, 100, 300])
def test_records_of_every_size_decrypt(subscriber: Subscriber, rs: int, size: int) -> None:
    plaintext = os.urandom(size)
    body = encrypt(subscriber, plaintext, rs)
    assert _decrypt_aes128gcm(subscriber, body) == plaintext  # the direct path took it
    assert answer(subscriber, body) == reference(subscriber, body) == plaintext


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    size=st.integers(0, 120),
    rs=st.sampled_from([18, 30, 64, 4096]),
    cut=st.integers(0, 250),
    flips=st.lists(st.tuples(st.integers(0, 250), st.integers(1, 255)), max_size=2),
    pad_tail=st.sampled_from([b"", b"\x00", b"\x01", b"\x02\x00"]),
)
def test_damaged_messages_get_http_ece_answer(
    subscriber: Subscriber,
    size: int,
    rs: int,
    cut: int,
    flips: list[tuple[int, int]],
    pad_tail: bytes,
) -> None:
    body = bytearray(encrypt(subscriber, os.urandom(size), rs) + pad_tail)
    for index, xor in flips:
        if index < len(body):
            body[index] ^= xor
    damaged = bytes(body[: len(body) - cut] if cut < len(body) else body)
    assert answer(subscriber, damaged) == reference(subscriber, damaged)


def test_header_only_and_short_bodies(subscriber: Subscriber) -> None:
    body = encrypt(subscriber, b"x")
    header_only = body[: 21 + body[20]]
    for damaged in (b"", b"\x00" * 20, header_only, body[:30], body[:-1]):
        assert answer(subscriber, damaged) == reference(subscriber, damaged)
