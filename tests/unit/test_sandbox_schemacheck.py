"""The compiled schema checks pass exactly what jsonschema's validators pass."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema.protocols import Validator
from jsonschema_path import SchemaPath
from openapi_core import OpenAPI

from sandbox.contracts import Contracts
from sandbox.loadcheck import sendgrid_requests
from sandbox.schemacheck import Uncompilable, compile_check

SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(
        [1.0, 0.5, 3, -1, 2**31, "", "a", "x@y", "AC" + "0" * 32, "2024-01-02T03:04:05Z"]
    ),
    st.text(max_size=6),
)
KEYS = st.sampled_from(["a", "b", "n", "s", "e", "id", "kids", "ro", "extra", "type", "value"])
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=12,
)

# Every keyword the compiler knows, in one document per OpenAPI version.
NODE: dict[str, Any] = {
    "type": "object",
    "required": ["s", "ro"],
    "properties": {
        "s": {"type": "string", "minLength": 1, "maxLength": 4, "pattern": "^[a-x]"},
        "n": {"type": "integer", "minimum": -3, "maximum": 10, "multipleOf": 1},
        "b": {"type": "number", "exclusiveMinimum": 0, "format": "double"},
        "e": {"enum": ["a", "b", 3, None, [1]]},
        "ro": {"type": "boolean", "readOnly": True},
        "id": {"type": "string", "format": "email"},
        "kids": {
            "type": "array",
            "maxItems": 3,
            "uniqueItems": True,
            "items": {"$ref": "#/components/schemas/Node"},
        },
        "a": {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "integer"}]},
        "type": {"oneOf": [{"type": "number"}, {"type": "integer"}, {"enum": ["x", "y"]}]},
        "value": {
            "allOf": [{"type": "object", "minProperties": 1}, {"not": {"required": ["a"]}}],
            "additionalProperties": {"type": "string", "maxLength": 2},
            "properties": {"b": {}},
        },
        "extra": {"type": "array", "items": {"type": "object", "additionalProperties": False}},
    },
    "additionalProperties": {"type": ["string", "null"]},
}


def _document(version: str) -> OpenAPI:
    node = copy.deepcopy(NODE)
    if version.startswith("3.0"):
        node["additionalProperties"] = {"type": "string", "nullable": True}
        node["properties"]["b"] = {"type": "number", "minimum": 0, "exclusiveMinimum": True}
    else:
        node["properties"]["e"]["const"] = "a"
    data = {
        "openapi": version,
        "info": {"title": "t", "version": "1"},
        "paths": {},
        "components": {"schemas": {"Node": node}},
    }
    return OpenAPI.from_dict(data)


def _validator(api: OpenAPI, schema: SchemaPath) -> Validator:
    factory = api.request_validator_cls.schema_validators_factory  # type: ignore[union-attr]
    return factory.create(api.spec, schema).validator  # type: ignore[no-any-return]


@pytest.fixture(scope="module", params=["3.0.3", "3.1.0"])
def node_validator(request: pytest.FixtureRequest) -> Validator:
    api = _document(request.param)
    return _validator(api, api.spec / "components" / "schemas" / "Node")


@SETTINGS
@given(instance=JSON)
def test_synthetic_schema_agrees(node_validator: Validator, instance: Any) -> None:
    passes = compile_check(node_validator)
    assert passes(instance) == node_validator.is_valid(instance)


NEAR_VALID = st.fixed_dictionaries(
    {"s": st.sampled_from(["a", "ab", "z", "", 5])},
    optional={
        "ro": st.booleans(),  # required, but read-only: OpenAPI 3.0 requests must leave it out
        **{key: JSON for key in ("n", "b", "e", "id", "a", "type", "value", "extra", "other")},
        "kids": st.lists(st.fixed_dictionaries({"s": st.just("b"), "ro": JSON}), max_size=3),
    },
) | st.fixed_dictionaries(
    {"s": st.just("ab"), "ro": st.booleans()},
    optional={
        "n": st.integers(-5, 12),
        "a": st.sampled_from(["2024-01-02T03:04:05Z", "2024-13-02", 7]),
        "value": st.dictionaries(KEYS, st.text(max_size=3), max_size=3),
        "kids": st.lists(st.fixed_dictionaries({"s": st.just("b"), "ro": st.just(True)})),
    },
)


@SETTINGS
@given(instance=NEAR_VALID)
def test_nested_instances_agree(node_validator: Validator, instance: Any) -> None:
    passes = compile_check(node_validator)
    assert passes(instance) == node_validator.is_valid(instance)


@pytest.fixture(scope="module")
def provider_validators() -> dict[str, Validator]:
    contracts = Contracts.load()
    contracts.prepare("POST", "/v3/mail/send")
    contracts.prepare("POST", "/2010-04-01/Accounts/AC" + "0" * 32 + "/Messages.json")
    mail = contracts._operations[("sendgrid", "/mail/send", "post")]
    key = ("twilio", "/2010-04-01/Accounts/{AccountSid}/Messages.json", "post")
    sms = contracts._operations[key]
    assert mail is not None and sms is not None
    found = {
        "mail": mail.media["application/json"].validator,
        "sms": sms.media["application/x-www-form-urlencoded"].validator,
        "sid": sms.params[0].validator,
    }
    assert all(v is not None for v in found.values())
    assert mail.media["application/json"].passes is not None  # the hot paths are compiled
    assert sms.media["application/x-www-form-urlencoded"].passes is not None
    return found  # type: ignore[return-value]


MAIL = json.loads(sendgrid_requests(1)[0][2])


@st.composite
def mutated_mail(draw: st.DrawFn) -> Any:
    mail = copy.deepcopy(MAIL)
    personalization = mail["personalizations"][0]
    targets = [mail, personalization, personalization["to"][0], mail["from"], mail["content"][0]]
    for _ in range(draw(st.integers(1, 3))):
        target = draw(st.sampled_from(targets))
        key = draw(st.sampled_from([*sorted(target), "reply_to", "cc", "send_at", "name"]))
        if draw(st.booleans()):
            target.pop(key, None)
        else:
            target[key] = draw(JSON)
    return mail


@SETTINGS
@given(mail=mutated_mail())
def test_mail_body_agrees(provider_validators: dict[str, Validator], mail: Any) -> None:
    validator = provider_validators["mail"]
    assert compile_check(validator)(mail) == validator.is_valid(mail)


FORM_VALUES = st.one_of(
    st.sampled_from(["+15551234567", "http://x/y", "retain", "AP" + "a" * 32, "MG" + "1" * 32]),
    st.sampled_from(["2024-01-02T03:04:05Z", "2024-01-02", 60, 1.5, True, ["http://x/a.png"]]),
    st.text(max_size=4),
    JSON,
)


@SETTINGS
@given(
    form=st.dictionaries(
        st.sampled_from(
            "To From Body ValidityPeriod ContentRetention MediaUrl SendAt MessagingServiceSid"
            " ApplicationSid MaxPrice SmartEncoded Other".split()
        ),
        FORM_VALUES,
    )
)
def test_sms_form_agrees(provider_validators: dict[str, Validator], form: Any) -> None:
    validator = provider_validators["sms"]
    assert compile_check(validator)(form) == validator.is_valid(form)


@pytest.mark.parametrize("sid", ["AC" + "0" * 32, "AC" + "0" * 31, "AB" + "0" * 32, "", 5, None])
def test_account_sid_agrees(provider_validators: dict[str, Validator], sid: Any) -> None:
    validator = provider_validators["sid"]
    assert compile_check(validator)(sid) == validator.is_valid(sid)


@pytest.mark.parametrize(
    "schema",
    [
        {"oneOf": [{"type": "object"}], "discriminator": {"propertyName": "kind"}},
        {"type": "object", "patternProperties": {"^x": {"type": "string"}}},
        {"$id": "https://elsewhere.example/x", "type": "string"},
    ],
)
def test_what_it_cannot_compile_is_refused(schema: dict[str, Any]) -> None:
    data = {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {},
        "components": {"schemas": {"S": schema}},
    }
    api = OpenAPI.from_dict(data)
    with pytest.raises(Uncompilable):
        compile_check(_validator(api, api.spec / "components" / "schemas" / "S"))
