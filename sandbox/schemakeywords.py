"""The compiled forms of JSON Schema keywords: each builder returns a check, or None for no check.

Each answers exactly as the jsonschema (or openapi-schema-validator) keyword function it stands for
yields no error; see sandbox.schemacheck.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sized
from typing import Any

from jsonschema._utils import uniq

Check = Callable[[Any], bool]
Compile = Callable[[Any], Check]
Schema = dict[str, Any]


class Uncompilable(Exception):
    """The schema uses something the compiled check does not implement."""


def all_of(checks: list[Check]) -> Check:
    if len(checks) <= 1:
        return checks[0] if checks else (lambda i: True)
    frozen = tuple(checks)

    def check(instance: Any) -> bool:
        for each in frozen:
            if not each(instance):
                return False
        return True

    return check


def properties(compile: Compile, properties: Any, schema: Schema) -> Check:
    if not isinstance(properties, dict):
        raise Uncompilable("properties")
    checks = {name: compile(sub) for name, sub in properties.items()}
    count = len(checks)

    def check(instance: Any) -> bool:
        if not isinstance(instance, dict):
            return True
        if len(instance) < count:  # walk the smaller side: the answer is the same
            for name, value in instance.items():
                each = checks.get(name)
                if each is not None and not each(value):
                    return False
        else:
            for name, each in checks.items():
                if name in instance and not each(instance[name]):
                    return False
        return True

    return check


def required(openapi30: bool, required: Any, schema: Schema) -> Check | None:
    properties = schema.get("properties", {})
    if not isinstance(required, list) or not isinstance(properties, dict):
        raise Uncompilable("required")
    names = []
    for name in required:
        prop = properties.get(name)
        if prop and openapi30:
            if not isinstance(prop, dict):
                raise Uncompilable("required property schema")
            if prop.get("readOnly", False):
                continue  # OpenAPI 3.0 requests leave read-only properties out
        names.append(name)
    needed = frozenset(names)
    return (lambda i: not isinstance(i, dict) or i.keys() >= needed) if names else None


def items(compile: Compile, openapi30: bool, items: Any, schema: Schema) -> Check:
    if "prefixItems" in schema:
        raise Uncompilable("prefixItems")
    if items is False and not openapi30:
        return lambda i: not isinstance(i, list) or not i
    each = compile(items)

    def check(instance: Any) -> bool:
        if isinstance(instance, list):
            for item in instance:
                if not each(item):
                    return False
        return True

    return check


def additional(compile: Compile, openapi30: bool, allowed: Any, schema: Schema) -> Check | None:
    properties = schema.get("properties", {})
    patterns = "|".join(schema.get("patternProperties", {}))
    if not isinstance(properties, dict):
        raise Uncompilable("properties")
    each: Check | None = None
    if isinstance(allowed, dict):
        each = compile(allowed)
    elif openapi30:
        if allowed is not False:  # OpenAPI 3.0's forbids extras for false alone
            return None
    elif allowed:  # jsonschema's forbids them for any falsy value
        return None

    def check(instance: Any) -> bool:
        if not isinstance(instance, dict):
            return True
        for name in instance:
            if name in properties or (patterns and re.search(patterns, name)):
                continue
            if each is None or not each(instance[name]):
                return False
        return True

    return check


def combined(
    compile: Compile, mode: Callable[[Any], bool] | None, subs: Any, schema: Schema
) -> Check:
    if "discriminator" in schema or not isinstance(subs, list):
        raise Uncompilable("discriminator or malformed allOf/anyOf/oneOf")
    checks = tuple(compile(sub) for sub in subs)
    if mode is not None:  # allOf, anyOf
        return lambda i: mode(each(i) for each in checks)

    def exactly_one(instance: Any) -> bool:  # oneOf
        valid = 0
        for each in checks:
            if each(instance):
                valid += 1
                if valid > 1:
                    return False
        return valid == 1

    return exactly_one


def negation(compile: Compile, subschema: Any, schema: Schema) -> Check:
    each = compile(subschema)
    return lambda i: not each(i)


def length(
    kind: type[Sized], compare: Callable[[int, Any], bool], limit: Any, schema: Schema
) -> Check:
    def check(instance: Any) -> bool:
        return not isinstance(instance, kind) or compare(len(instance), limit)

    return check


def pattern(pattern: Any, schema: Schema) -> Check:
    try:
        search = re.compile(pattern).search
    except (re.error, TypeError) as exc:
        raise Uncompilable(f"pattern {pattern!r}") from exc
    return lambda i: not isinstance(i, str) or search(i) is not None


def unique(unique: Any, schema: Schema) -> Check | None:
    return (lambda i: not isinstance(i, list) or uniq(i)) if unique else None
