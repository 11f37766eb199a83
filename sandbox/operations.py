"""One OpenAPI operation compiled for fast request checks.

openapi-core re-walks the document and rebuilds its validators on every request (about 1 ms for a
SendGrid mail/send and 2 to 6 ms for a Twilio form body on these machines). Here the walk happens
once per operation: the parameter, security and body rules are read from the document and their
JSON Schema validators are built by openapi-core's own factories. Each validator is also compiled
into a plain check (sandbox.schemacheck) that a valid request passes in a few µs; jsonschema only
runs for requests that fail it, to word their violations.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema.protocols import Validator
from jsonschema_path import SchemaPath

from sandbox.casting import NO_DEFAULT, CastFailed, FormProperty, cast_value, decode_form, read_type
from sandbox.schemacheck import Check, Uncompilable, compile_check

MAX_VIOLATIONS = 20
JSON_TYPES = ("application/json", "application/vnd.api+json")  # as openapi-core decodes them
FORM_TYPE = "application/x-www-form-urlencoded"
ValidatorFactory = Callable[[SchemaPath], Validator]


class Unsupported(Exception):
    """The operation uses a feature the fast path does not implement: use openapi-core."""


@dataclass(frozen=True, slots=True)
class Violation:
    """One way a request breaks the contract."""

    location: str  # operation, security, path, query, header, body
    field: str | None  # dotted path of the offending field, None for the request as a whole
    message: str

    def __str__(self) -> str:
        where = f"{self.location} {self.field}" if self.field else self.location
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class RequestParts:
    """What a contract check needs from an HTTP request."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]  # case-insensitive in practice (aiohttp CIMultiDict)
    body: bytes
    content_type: str


@dataclass(frozen=True, slots=True)
class _Param:
    name: str
    location: str
    required: bool
    allow_empty: bool
    explode: bool
    type: str
    items_type: str
    validator: Validator
    passes: Check | None  # the compiled check; None when only jsonschema can check the schema


@dataclass(frozen=True, slots=True)
class _Media:
    mimetype: str
    form: bool
    validator: Validator | None
    passes: Check | None
    properties: tuple[FormProperty, ...]  # form: name, type, items type, default


class CompiledOperation:
    """The rules of one operation, read once from the document."""

    def __init__(
        self, spec: SchemaPath, path: SchemaPath, operation: SchemaPath, make: ValidatorFactory
    ):
        self.params = _compile_params(path, operation, make)
        self.security = _compile_security(spec, operation)
        self.body_required = False
        self.media: dict[str, _Media] = {}
        if "requestBody" in operation:
            request_body = operation / "requestBody"
            self.body_required = (request_body / "required").read_bool(default=False)
            for mimetype, media in (request_body / "content").str_items():
                self.media[mimetype] = _compile_media(mimetype, media, make)

    def check(
        self, parts: RequestParts, path_values: Mapping[str, str]
    ) -> tuple[list[Violation], Any]:
        """Violations of this operation's rules, and the decoded body (None if absent)."""
        violations = self._check_security(parts)
        if violations:  # openapi-core stops at a security failure too
            return violations, None
        for param in self.params:
            violations.extend(_check_param(param, parts, path_values))
        body, body_violations = self._check_body(parts)
        violations.extend(body_violations)
        return violations[:MAX_VIOLATIONS], body

    def _check_security(self, parts: RequestParts) -> list[Violation]:
        if not self.security:
            return []
        for requirement in self.security:
            if all(check(parts) for check in requirement):
                return []
        return [Violation("security", None, "no security requirement of the operation is met")]

    def _check_body(self, parts: RequestParts) -> tuple[Any, list[Violation]]:
        if not self.media:
            return None, []
        if not parts.body:
            if self.body_required:
                return None, [Violation("body", None, "a request body is required")]
            return None, []
        media = self._find_media(parts.content_type)
        if media is None:
            allowed = ", ".join(self.media)
            message = f"content type {parts.content_type or '(none)'!r} is not one of: {allowed}"
            return None, [Violation("body", None, message)]
        try:
            value = (
                decode_form(media.properties, parts.body) if media.form else json.loads(parts.body)
            )
        except CastFailed as exc:
            return None, [Violation("body", exc.field, str(exc))]
        except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError included
            return None, [Violation("body", None, f"cannot decode {media.mimetype}: {exc}")]
        if media.validator is None:
            return value, []
        return value, _schema_violations("body", media.validator, media.passes, value)

    def _find_media(self, content_type: str) -> _Media | None:
        mimetype = content_type.split(";", 1)[0].strip().lower()
        media = self.media.get(content_type) or self.media.get(mimetype)
        if media is not None:
            return media
        for pattern, candidate in self.media.items():  # ranges such as application/*
            if mimetype and fnmatch.fnmatch(mimetype, pattern):
                return candidate
        return None


def _compile_params(
    path: SchemaPath, operation: SchemaPath, make: ValidatorFactory
) -> tuple[_Param, ...]:
    params: dict[tuple[str, str], _Param] = {}
    for source in (operation, path):  # an operation's parameter overrides its path item's
        for param in source.get("parameters", SchemaPath.from_dict({})):
            name, location = (param / "name").read_str(), (param / "in").read_str()
            if (name, location) in params:
                continue
            if "content" in param or location == "cookie":
                raise Unsupported(f"{location} parameter {name} with content or in a cookie")
            default_style = "simple" if location in ("path", "header") else "form"
            style = (param / "style").read_str(default=default_style)
            if style not in ("simple", "form"):
                raise Unsupported(f"parameter style {style}")
            schema = param / "schema"
            type_, items_type = read_type(schema)
            validator = make(schema)
            params[(name, location)] = _Param(
                name=name,
                location=location,
                required=(param / "required").read_bool(default=False),
                allow_empty=(param / "allowEmptyValue").read_bool(default=False),
                explode=(param / "explode").read_bool(default=style == "form"),
                type=type_,
                items_type=items_type,
                validator=validator,
                passes=_compiled(validator),
            )
    return tuple(params.values())


def _compile_security(
    spec: SchemaPath, operation: SchemaPath
) -> list[list[Callable[[RequestParts], bool]]]:
    security = operation.get("security") if "security" in operation else spec.get("security")
    if security is None:
        return []
    schemes = spec / "components" / "securitySchemes"
    requirements = []
    for requirement in security:
        checks = []
        for scheme_name in requirement.str_keys():
            if scheme_name in schemes:
                checks.append(_security_check(schemes / scheme_name))
        requirements.append(checks)
    return requirements


def _security_check(scheme: SchemaPath) -> Callable[[RequestParts], bool]:
    kind = (scheme / "type").read_str()
    if kind == "apiKey":
        name, location = (scheme / "name").read_str(), (scheme / "in").read_str()
        if location == "header":
            return lambda parts: name in parts.headers
        if location == "query":
            return lambda parts: name in parts.query
        raise Unsupported("apiKey in a cookie")
    if kind == "http":
        expected = (scheme / "scheme").read_str()

        def check(parts: RequestParts) -> bool:
            auth_type, _, credentials = parts.headers.get("Authorization", "").partition(" ")
            return bool(credentials) and auth_type.lower() == expected

        return check
    return lambda parts: True  # openapi-core only warns about oauth2 and openIdConnect


def _compile_media(mimetype: str, media: SchemaPath, make: ValidatorFactory) -> _Media:
    form = mimetype == FORM_TYPE
    if not form and mimetype not in JSON_TYPES:
        raise Unsupported(f"media type {mimetype}")
    if "schema" not in media:
        return _Media(mimetype, form, None, None, ())
    schema = media / "schema"
    properties: list[FormProperty] = []
    if form:
        if "encoding" in media or any(k in schema for k in ("allOf", "oneOf", "anyOf")):
            raise Unsupported("form encoding objects or composed form schemas")
        for name, prop in schema.get("properties", SchemaPath.from_dict({})).str_items():
            type_, items_type = read_type(prop)
            default = (prop / "default").read_value() if "default" in prop else NO_DEFAULT
            properties.append((name, type_, items_type, default))
    validator = make(schema)
    return _Media(mimetype, form, validator, _compiled(validator), tuple(properties))


def _compiled(validator: Validator) -> Check | None:
    try:
        return compile_check(validator)
    except Uncompilable:
        return None


def _check_param(
    param: _Param, parts: RequestParts, path_values: Mapping[str, str]
) -> list[Violation]:
    source: Mapping[str, Any] = {
        "path": path_values,
        "query": parts.query,
        "header": parts.headers,
    }[param.location]
    if param.name not in source:
        if param.required:
            return [Violation(param.location, param.name, "required parameter is missing")]
        return []
    if param.type == "array" and param.explode and hasattr(source, "getall"):
        raw: Any = source.getall(param.name)
    else:
        raw = source[param.name]
        if param.type == "array":
            raw = raw.split(",")
    if param.location == "query" and raw == "" and not param.allow_empty:
        return [Violation("query", param.name, "empty value is not allowed")]
    try:
        value = cast_value(param.name, raw, param.type, param.items_type)
    except CastFailed as exc:
        return [Violation(param.location, param.name, str(exc))]
    return _schema_violations(param.location, param.validator, param.passes, value, param.name)


def _schema_violations(
    location: str, validator: Validator, passes: Check | None, value: Any, prefix: str = ""
) -> list[Violation]:
    try:
        if passes is not None and passes(value):
            return []  # the compiled check agrees with jsonschema on what passes
    except Exception:  # jsonschema has the last word on anything odd
        pass
    violations = []
    seen_required: dict[tuple[int, tuple[Any, ...]], int] = {}
    for error in validator.iter_errors(value):
        path = [prefix] if prefix else []
        path.extend(str(part) for part in error.absolute_path)
        if error.validator == "required" and isinstance(error.instance, dict):
            # Name the missing property itself, as the providers' error bodies do. jsonschema
            # reports one error per missing property, in the order of the required list.
            key = (id(error.instance), tuple(error.absolute_schema_path))
            index = seen_required.get(key, 0)
            seen_required[key] = index + 1
            missing = [p for p in error.validator_value if p not in error.instance]
            path.extend(missing[index : index + 1])
        violations.append(Violation(location, ".".join(path) or None, error.message))
        if len(violations) >= MAX_VIOLATIONS:
            break
    return violations
