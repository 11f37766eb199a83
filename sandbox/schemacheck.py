"""JSON Schema validators compiled into plain Python checks that only answer "valid or not".

jsonschema walks a schema through descend/evolve and resolves every $ref again on every call: about
150 µs for a SendGrid mail/send. The check compiled here applies the same rules (those of the
validator's own keyword functions: OpenAPI 3.0's dialect or 3.1's JSON Schema 2020-12, as
openapi-schema-validator defines them), with references resolved and regexes compiled once, so a
request that passes pays a few µs. One that fails goes to jsonschema for its errors.

A schema that uses anything this does not know (an unknown keyword, a discriminator, an id that
moves the base URI, a reference it cannot resolve) raises Uncompilable and keeps jsonschema alone.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from jsonschema import _keywords as js
from jsonschema import _legacy_keywords as js_legacy
from jsonschema import _types as js_types
from jsonschema.protocols import Validator
from openapi_schema_validator import _keywords as oas
from openapi_schema_validator import _types as oas_types
from openapi_schema_validator._regex import has_ecma_regex

from sandbox import schemakeywords as kw
from sandbox.schemakeywords import Check, Schema, Uncompilable

__all__ = ["Check", "Uncompilable", "compile_check"]

# Keywords that look at the instance alone, never at subschemas: called as jsonschema calls them.
_LEAF_KEYWORDS = (
    *(js.multipleOf, js.const, js.minimum, js.maximum, js.exclusiveMinimum, js.exclusiveMaximum),
    *(js.dependentRequired, js_legacy.maximum_draft3_draft4, js_legacy.minimum_draft3_draft4),
    *(oas.write_readOnly, oas.read_writeOnly),
)
_TYPE_TESTS: dict[Any, Check] = {  # the type checker's functions, as direct tests
    oas_types.is_string: lambda i: isinstance(i, str),
    js_types.is_string: lambda i: isinstance(i, str),
    js_types.is_object: lambda i: isinstance(i, dict),
    js_types.is_array: lambda i: isinstance(i, list),
    js_types.is_bool: lambda i: isinstance(i, bool),
    js_types.is_integer: lambda i: isinstance(i, int) and not isinstance(i, bool),
    js_types.is_null: lambda i: i is None,
}


def compile_check(validator: Validator) -> Check:
    """A function telling whether an instance is valid under the validator's schema."""
    try:
        return _Compiler(validator).compile(validator.schema)
    except Uncompilable:
        raise
    except Exception as exc:  # a schema jsonschema itself would stumble over, at check time
        raise Uncompilable(repr(exc)) from exc


class _Compiler:
    def __init__(self, validator: Validator):
        cls = type(validator)
        self.validator: Any = validator
        self.keywords: Mapping[str, Any] = cls.VALIDATORS
        self.types: Any = cls.TYPE_CHECKER
        applicable = getattr(cls, "_APPLICABLE_VALIDATORS", None)
        if repr(applicable) != repr(operator.methodcaller("items")):  # $ref siblings apply
            raise Uncompilable(f"keyword selection {applicable!r}")
        if getattr(validator, "_ref_resolver", None) is not None:
            raise Uncompilable("legacy RefResolver")
        self.resolver: Any = validator._resolver
        self.base_uri = getattr(self.resolver, "_base_uri", None)
        # The keywords below test "object", "array" and "string" with isinstance, as these do.
        checkers = self.types._type_checkers
        if (
            checkers.get("object") is not js_types.is_object
            or checkers.get("array") is not js_types.is_array
            or checkers.get("string") not in (js_types.is_string, oas_types.is_string)
        ):
            raise Uncompilable("a type checker of its own")
        self.memo: dict[int, Check] = {}
        self.keep: list[Any] = []  # memo keys are ids: keep their schemas alive
        self.builders: dict[Any, Callable[[Any, Schema], Check | None]] = {
            oas.type: self._oas_type,
            js.type: self._type,
            js.properties: partial(kw.properties, self.compile),
            js.required: partial(kw.required, False),
            oas.write_required: partial(kw.required, True),
            oas.items: partial(kw.items, self.compile, True),
            js.items: partial(kw.items, self.compile, False),
            oas.additionalProperties: partial(kw.additional, self.compile, True),
            js.additionalProperties: partial(kw.additional, self.compile, False),
            oas.format: self._format,
            js.format: self._format,
            js.ref: self._ref,
            js.minLength: partial(kw.length, str, operator.ge),
            js.maxLength: partial(kw.length, str, operator.le),
            js.minItems: partial(kw.length, list, operator.ge),
            js.maxItems: partial(kw.length, list, operator.le),
            js.minProperties: partial(kw.length, dict, operator.ge),
            js.maxProperties: partial(kw.length, dict, operator.le),
            js.enum: self._enum,
            js.uniqueItems: kw.unique,
            oas.allOf: partial(kw.combined, self.compile, all),
            oas.anyOf: partial(kw.combined, self.compile, any),
            oas.oneOf: partial(kw.combined, self.compile, None),
            js.not_: partial(kw.negation, self.compile),
            oas.not_implemented: lambda value, schema: None,
        }
        if not has_ecma_regex():  # with regress installed, patterns are ECMA regexes
            self.builders[oas.pattern] = self.builders[js.pattern] = kw.pattern

    def compile(self, schema: Any) -> Check:
        key = id(schema)
        if key in self.memo:
            return self.memo[key]
        cell: list[Check] = []
        self.memo[key] = lambda instance: cell[0](instance)  # for a schema that refers to itself
        self.keep.append(schema)
        check = self._compile(schema)
        cell.append(check)
        self.memo[key] = check
        return check

    def _compile(self, schema: Any) -> Check:
        if schema is True or schema is False:
            return lambda instance: schema
        if not isinstance(schema, dict):
            raise Uncompilable(f"schema {schema!r}")
        if isinstance(schema.get("id"), str) or isinstance(schema.get("$id"), str):
            raise Uncompilable("a schema id changes the base URI")
        checks = []
        for keyword, value in schema.items():
            function = self.keywords.get(keyword)
            if function is None:
                continue  # an annotation: jsonschema ignores it too
            builder = self.builders.get(function)
            if builder is not None:
                check = builder(value, schema)
            elif function in _LEAF_KEYWORDS:
                check = self._leaf(function, value, schema)
            else:
                raise Uncompilable(f"keyword {keyword}")
            if check is not None:
                checks.append(check)
        return kw.all_of(checks)

    def _leaf(self, function: Any, value: Any, schema: Schema) -> Check:
        validator = self.validator

        def check(instance: Any) -> bool:
            return next(iter(function(validator, value, instance, schema) or ()), None) is None

        return check

    def _type_of(self, name: Any) -> Check:
        function = self.types._type_checkers.get(name) if isinstance(name, str) else None
        if function is None:
            raise Uncompilable(f"type {name!r}")  # jsonschema raises UnknownType
        types = self.types
        return _TYPE_TESTS.get(function) or (lambda instance: bool(function(types, instance)))

    def _type(self, types: Any, schema: Schema) -> Check:
        tests = [self._type_of(name) for name in ([types] if isinstance(types, str) else types)]
        return tests[0] if len(tests) == 1 else (lambda i: any(test(i) for test in tests))

    def _oas_type(self, data_type: Any, schema: Schema) -> Check:
        test = self._type_of(data_type)
        nullable = schema.get("nullable") is True
        binary = data_type == "string" and schema.get("format") == "binary"

        def check(instance: Any) -> bool:
            if instance is None:
                return nullable
            return test(instance) or (binary and isinstance(instance, bytes))

        return check

    def _ref(self, ref: Any, schema: Schema) -> Check:
        try:
            resolved = self.resolver.lookup(ref)
        except Exception as exc:
            raise Uncompilable(f"$ref {ref!r}: {exc}") from exc
        if getattr(resolved.resolver, "_base_uri", None) != self.base_uri or self.base_uri is None:
            raise Uncompilable(f"$ref {ref!r} leaves the document's base URI")
        return self.compile(resolved.contents)

    def _format(self, format_name: Any, schema: Schema) -> Check | None:
        checker = self.validator.format_checker
        if checker is None or format_name not in checker.checkers:
            return None
        if self.keywords["format"] is oas.format:  # OpenAPI 3.0's skips null
            return lambda i: i is None or checker.conforms(i, format_name)
        return lambda i: checker.conforms(i, format_name)

    def _enum(self, enums: Any, schema: Schema) -> Check:
        if isinstance(enums, list) and all(type(e) is str for e in enums):
            allowed = frozenset(enums)  # jsonschema's equal() is == when either side is a str
            return lambda i: isinstance(i, str) and i in allowed
        return self._leaf(js.enum, enums, schema)
