"""The sandbox's contract checks agree with openapi-core's full pipeline on the same documents."""

from __future__ import annotations

import base64
import copy
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict, MultiDict

from sandbox.contracts import SPEC_DIR, Contracts, RequestParts
from sandbox.twilio import message_resource

SID = "AC" + "a1" * 16
MESSAGES = f"/2010-04-01/Accounts/{SID}/Messages.json"
BASIC = "Basic " + base64.b64encode(f"{SID}:token".encode()).decode()
MAIL: dict[str, Any] = {
    "personalizations": [
        {"to": [{"email": "jane@example.com"}], "custom_args": {"notification_id": "n-1"}}
    ],
    "from": {"email": "orders@shop.example", "name": "Shop"},
    "subject": "Your order shipped",
    "content": [{"type": "text/plain", "value": "On its way."}],
}
SMS = {"To": "+15551234567", "From": "+15005550006", "Body": "On its way."}


@pytest.fixture(scope="module")
def contracts() -> Contracts:
    return Contracts.load()


def mail_send(body: Any, headers: dict[str, str] | None = None) -> RequestParts:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    auth = {"Authorization": "Bearer SG.key"} if headers is None else headers
    return RequestParts(
        "POST", "/v3/mail/send", MultiDict(), CIMultiDict(auth), raw, "application/json"
    )


def create_message(form: dict[str, Any], sid: str = SID) -> RequestParts:
    path = f"/2010-04-01/Accounts/{sid}/Messages.json"
    body = urlencode(form, doseq=True).encode()
    headers = CIMultiDict({"Authorization": BASIC})
    return RequestParts(
        "POST", path, MultiDict(), headers, body, "application/x-www-form-urlencoded"
    )


def without(mapping: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if k != key}


VALID, INVALID = True, False
CASES = {
    "mail": (mail_send(MAIL), VALID),
    "mail without from": (mail_send(without(MAIL, "from")), INVALID),
    "mail without personalizations": (mail_send(without(MAIL, "personalizations")), INVALID),
    "mail from.email not a string": (mail_send({**MAIL, "from": {"email": 5}}), INVALID),
    "mail empty content value": (
        mail_send({**MAIL, "content": [{"type": "text/plain", "value": ""}]}),
        INVALID,
    ),
    "mail top-level custom_args object": (mail_send({**MAIL, "custom_args": {"c": "1"}}), VALID),
    "mail not json": (mail_send(b"{nope"), INVALID),
    "mail without auth": (mail_send(MAIL, headers={}), INVALID),
    "sms": (create_message(SMS), VALID),
    "sms with media and callback": (
        create_message({**SMS, "MediaUrl": ["https://x/a.png", "https://x/b.png"]}),
        VALID,
    ),
    "sms without To": (create_message(without(SMS, "To")), INVALID),
    "sms ValidityPeriod not an integer": (create_message({**SMS, "ValidityPeriod": "1h"}), INVALID),
    "sms SmartEncoded not a boolean": (create_message({**SMS, "SmartEncoded": "maybe"}), INVALID),
    "sms TrafficType outside its enum": (create_message({**SMS, "TrafficType": "bulk"}), INVALID),
    "sms AccountSid malformed": (create_message(SMS, sid="AB123"), INVALID),
    "sms unknown field ignored": (create_message({**SMS, "Colour": "blue"}), VALID),
}


@pytest.mark.parametrize("name", CASES)
def test_fast_check_agrees_with_openapi_core(contracts: Contracts, name: str) -> None:
    parts, valid = CASES[name]
    fast = contracts.validate(parts)
    reference = contracts.validate_with_openapi_core(parts)
    assert (fast == [], reference == []) == (valid, valid), (fast, reference)


def test_missing_property_is_named_as_the_field(contracts: Contracts) -> None:
    violations = contracts.check(mail_send(without(MAIL, "from"))).violations
    assert [(v.location, v.field) for v in violations] == [("body", "from")]
    assert str(violations[0]) == "body from: 'from' is a required property"


def test_form_body_is_decoded_and_cast(contracts: Contracts) -> None:
    result = contracts.check(
        create_message({**SMS, "ValidityPeriod": "60", "MediaUrl": ["a", "b"]})
    )
    assert result.violations == []
    assert result.body["ValidityPeriod"] == 60
    assert result.body["MediaUrl"] == ["a", "b"]


def test_top_level_custom_args_must_hold_strings(contracts: Contracts) -> None:
    # The document says string; the API and the SendGrid SDK use an object of strings (errata).
    assert contracts.validate(mail_send({**MAIL, "custom_args": {"order": "1"}})) == []
    assert contracts.validate(mail_send({**MAIL, "custom_args": {"order": 1}}))


def test_unknown_operation_is_a_violation(contracts: Contracts) -> None:
    parts = RequestParts("POST", "/v3/not/a/thing", MultiDict(), CIMultiDict(), b"", "")
    assert contracts.validate(parts) == [
        "operation: no operation for POST /v3/not/a/thing in the providers' documents"
    ]


def test_check_times_are_recorded(contracts: Contracts) -> None:
    contracts.check(mail_send(MAIL))
    timing = contracts.timings()["sendgrid POST /mail/send"]
    assert timing["count"] >= 1
    assert 0 < timing["mean_us"] <= timing["max_us"]


def test_documents_keep_their_licences() -> None:
    names = {p.name for p in SPEC_DIR.iterdir()}
    assert {"LICENSE.sendgrid-oai", "LICENSE.twilio-oai", "README.md"} <= names
    for licence in ("LICENSE.sendgrid-oai", "LICENSE.twilio-oai"):
        assert (SPEC_DIR / licence).read_text().startswith("MIT License")


@dataclass
class _Response:
    status_code: int
    data: bytes
    content_type: str = "application/json"

    @property
    def headers(self) -> dict[str, str]:
        return {"Content-Type": self.content_type}


def test_message_resource_matches_the_documented_response(contracts: Contracts) -> None:
    from sandbox.contracts import _CoreRequest

    resource = message_resource(SID, {**SMS, "MediaUrl": ["https://x/a.png"]})
    api = contracts._apis["twilio"]
    request = _CoreRequest("https://api.twilio.com", create_message(SMS))
    response = _Response(201, json.dumps(resource).encode())
    api.validate_response(request, response)  # raises on a mismatch
    assert resource["num_media"] == "1"


# Mutations of valid bodies: whatever they break, both checks must agree on valid vs invalid.
JUNK = st.one_of(st.none(), st.integers(), st.text(max_size=5), st.lists(st.integers(), max_size=2))


@st.composite
def mutated_mail(draw: st.DrawFn) -> dict[str, Any]:
    mail = copy.deepcopy(MAIL)
    target = draw(st.sampled_from([mail, mail["personalizations"][0], mail["from"]]))
    key = draw(st.sampled_from([*sorted(target), "extra"]))
    if draw(st.booleans()):
        target.pop(key, None)
    else:
        target[key] = draw(JUNK)
    return mail


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(mail=mutated_mail())
def test_mutated_mail_agrees_with_openapi_core(contracts: Contracts, mail: dict[str, Any]) -> None:
    parts = mail_send(mail)
    assert bool(contracts.validate(parts)) == bool(contracts.validate_with_openapi_core(parts))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    form=st.dictionaries(
        st.sampled_from(["To", "From", "Body", "Attempt", "ProvideFeedback", "MaxPrice", "SendAt"]),
        st.text(alphabet="+0123456789abctrue", max_size=6),
    )
)
def test_arbitrary_forms_agree_with_openapi_core(
    contracts: Contracts, form: dict[str, str]
) -> None:
    parts = create_message(form)
    assert bool(contracts.validate(parts)) == bool(contracts.validate_with_openapi_core(parts))
