"""The generic signer: a token holds for its purpose, under any secret still listed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runtime import signing

NEW, OLD = b"new secret", b"old secret"


@given(payload=st.text(min_size=1), purpose=st.sampled_from(["unsubscribe", "preferences"]))
def test_a_token_gives_back_its_payload_for_its_purpose(payload: str, purpose: str) -> None:
    token = signing.sign(purpose, payload, NEW)
    assert signing.verify(purpose, token, [NEW, OLD]) == payload


def test_a_token_signed_with_an_older_secret_holds_while_that_secret_is_listed() -> None:
    token = signing.sign("unsubscribe", "c7", OLD)
    assert signing.verify("unsubscribe", token, [NEW, OLD]) == "c7"
    with pytest.raises(ValueError):
        signing.verify("unsubscribe", token, [NEW])


def test_a_token_for_another_purpose_or_tampered_with_fails() -> None:
    token = signing.sign("preferences", "c7", NEW)
    payload, _, signature = token.partition(".")
    other = signing.sign("preferences", "c8", NEW).partition(".")[0]
    for purpose, bad in [
        ("unsubscribe", token),
        ("preferences", f"{other}.{signature}"),
        ("preferences", f"{payload}."),
        ("preferences", payload),
        ("preferences", ""),
        ("preferences", "%%%.%%%"),
    ]:
        with pytest.raises(ValueError):
            signing.verify(purpose, bad, [NEW])
    with pytest.raises(ValueError):
        signing.verify("preferences", token, [])
