"""The providers' OpenAPI documents: loaded once at start, every request checked against them."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jsonschema.protocols import Validator
from jsonschema_path import SchemaPath
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from sandbox.operations import CompiledOperation, RequestParts, Unsupported, Violation

__all__ = ["CheckResult", "Contracts", "RequestParts", "Unsupported", "Violation"]

SPEC_DIR = Path(__file__).with_name("specs")
DOCUMENTS = {"sendgrid": "sendgrid_v3.json", "twilio": "twilio_api_v2010.json"}
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_ROUTE_CACHE_LIMIT = 4096


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The outcome of one contract check."""

    violations: list[Violation]
    body: Any  # the decoded body (JSON value or form fields), None when absent or undecodable
    operation: str | None  # "sendgrid POST /mail/send", None when no operation matched


@dataclass(slots=True)
class _Route:
    document: str
    template: str  # the path as the document spells it, e.g. /mail/send
    pattern: re.Pattern[str]  # the full request path, server base path included
    names: tuple[str, ...]
    methods: frozenset[str]
    origin: str  # the server's scheme://host, for openapi-core's own request matching


@dataclass(slots=True)
class _Timing:
    count: int = 0
    total_ns: int = 0
    max_ns: int = 0
    invalid: int = 0


def _apply_errata(name: str, data: dict[str, Any]) -> None:
    # Where a document contradicts the live API and the provider's own SDK (see specs/README.md).
    if name == "sendgrid":
        schema = data["paths"]["/mail/send"]["post"]["requestBody"]["content"]["application/json"]
        props = schema["schema"]["properties"]
        props["custom_args"] = {**props["custom_args"], "type": "object"}
        props["custom_args"]["additionalProperties"] = {"type": "string"}


def _compile_route(document: str, template: str, item: dict[str, Any], root_servers: Any) -> _Route:
    servers = item.get("servers") or root_servers or [{"url": "/"}]
    server = urlsplit(servers[0]["url"])
    origin = f"{server.scheme}://{server.netloc}" if server.netloc else "http://localhost"
    names: list[str] = []
    regex = ""
    for literal, name in re.findall(r"([^{]*)(?:\{([^}]*)\})?", template):
        regex += re.escape(literal)
        if name:
            regex += f"(?P<p{len(names)}>[^/]+)"
            names.append(name)
    pattern = re.compile(re.escape(server.path.rstrip("/")) + regex)
    methods = frozenset(key for key in item if key in METHODS)
    return _Route(document, template, pattern, tuple(names), methods, origin)


class Contracts:
    """Both providers' documents, with their operations compiled on first use."""

    def __init__(self, documents: Mapping[str, OpenAPI]):
        self._apis = dict(documents)
        self._routes: list[_Route] = []
        for name, api in self._apis.items():
            raw = api.spec.read_value()  # the plain dict: far faster to scan than SchemaPath
            for template, item in raw.get("paths", {}).items():
                self._routes.append(_compile_route(name, template, item, raw.get("servers")))
        # Literal paths before templated ones, then the most specific template first.
        self._routes.sort(key=lambda r: (len(r.names), -len(r.pattern.pattern)))
        self._route_cache: dict[str, tuple[_Route, dict[str, str]] | None] = {}
        self._operations: dict[tuple[str, str, str], CompiledOperation | None] = {}
        self._timings: dict[str, _Timing] = {}
        # Per route and method: the operation's key, its compiled rules and its timing.
        self._bound: dict[tuple[int, str], tuple[str, CompiledOperation | None, _Timing]] = {}

    @classmethod
    def load(cls, spec_dir: Path = SPEC_DIR) -> Contracts:
        """Read and validate both documents (about 4 s: openapi-core checks each document)."""
        apis = {}
        for name, filename in DOCUMENTS.items():
            data = json.loads((spec_dir / filename).read_text(encoding="utf-8"))
            _apply_errata(name, data)
            apis[name] = OpenAPI.from_dict(data)
        return cls(apis)

    def prepare(self, method: str, path: str) -> str:
        """Compile the operation serving this request now, so the first request pays nothing.

        Raises LookupError for an unknown operation and Unsupported when only openapi-core's slow
        pipeline could check it (the provider handlers need the decoded body the fast path gives).
        """
        found = self._match(path)
        if found is None or method.lower() not in found[0].methods:
            raise LookupError(f"no operation for {method} {path}")
        key = f"{found[0].document} {method.upper()} {found[0].template}"
        if self._operation(found[0], method) is None:
            raise Unsupported(f"{key} can only be checked by openapi-core's full pipeline")
        return key

    def check(self, parts: RequestParts) -> CheckResult:
        """Check a request against the document whose server path it matches."""
        started = time.perf_counter_ns()
        found = self._match(parts.path)
        if found is None or parts.method.lower() not in found[0].methods:
            message = (
                f"no operation for {parts.method.upper()} {parts.path} in the providers' documents"
            )
            return CheckResult([Violation("operation", None, message)], None, None)
        route, path_values = found
        bound = self._bound.get((id(route), parts.method))
        if bound is None:
            key = f"{route.document} {parts.method.upper()} {route.template}"
            operation = self._operation(route, parts.method)
            bound = (key, operation, self._timings.setdefault(key, _Timing()))
            self._bound[(id(route), parts.method)] = bound
        key, operation, timing = bound
        if operation is None:
            violations, body = self._reference(route, parts), None
        else:
            violations, body = operation.check(parts, path_values)
        elapsed = time.perf_counter_ns() - started
        timing.count += 1
        timing.total_ns += elapsed
        timing.max_ns = max(timing.max_ns, elapsed)
        timing.invalid += bool(violations)
        return CheckResult(violations, body, key)

    def validate(self, parts: RequestParts) -> list[str]:
        """Human-readable contract violations of a request; empty when it is valid."""
        return [str(v) for v in self.check(parts).violations]

    def validate_with_openapi_core(self, parts: RequestParts) -> list[str]:
        """The same check through openapi-core's full (slow) pipeline: the reference for tests."""
        found = self._match(parts.path)
        if found is None:
            return [f"operation: no operation for {parts.method.upper()} {parts.path}"]
        return [str(v) for v in self._reference(found[0], parts)]

    def timings(self) -> dict[str, dict[str, float]]:
        """Per operation: requests checked, invalid ones, mean and max check time in µs."""
        return {
            key: {
                "count": t.count,
                "invalid": t.invalid,
                "mean_us": round(t.total_ns / t.count / 1000, 1) if t.count else 0.0,
                "max_us": round(t.max_ns / 1000, 1),
            }
            for key, t in self._timings.items()
        }

    def _match(self, path: str) -> tuple[_Route, dict[str, str]] | None:
        if path in self._route_cache:
            return self._route_cache[path]
        found = None
        for route in self._routes:
            m = route.pattern.fullmatch(path)
            if m:
                values = {name: m.group(f"p{i}") for i, name in enumerate(route.names)}
                found = (route, values)
                break
        if len(self._route_cache) >= _ROUTE_CACHE_LIMIT:
            self._route_cache.clear()
        self._route_cache[path] = found
        return found

    def _operation(self, route: _Route, method: str) -> CompiledOperation | None:
        key = (route.document, route.template, method.lower())
        if key not in self._operations:
            api = self._apis[route.document]
            path = api.spec / "paths" / route.template
            factory = api.request_validator_cls.schema_validators_factory  # type: ignore[union-attr]

            def make(schema: SchemaPath) -> Validator:
                return factory.create(api.spec, schema).validator

            try:
                self._operations[key] = CompiledOperation(
                    api.spec, path, path / method.lower(), make
                )
            except Unsupported:
                self._operations[key] = None  # checked by openapi-core's full pipeline instead
        return self._operations[key]

    def _reference(self, route: _Route, parts: RequestParts) -> list[Violation]:
        request = _CoreRequest(route.origin, parts)
        api = self._apis[route.document]
        violations: list[Violation] = []
        for error in api.request_validator.iter_errors(request):
            location = type(error).__name__
            details = getattr(error.__cause__, "schema_errors", None)
            if details:
                violations.extend(Violation(location, None, e.message) for e in details)
            else:
                violations.append(Violation(location, None, str(error.__cause__ or error)))
        return violations


@dataclass
class _CoreRequest:
    """An openapi-core request for a call that reached the sandbox instead of the provider."""

    host_url: str  # the document's server, so openapi-core finds the operation
    parts: RequestParts
    parameters: RequestParameters = field(init=False)

    def __post_init__(self) -> None:
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(list(self.parts.query.items())),
            header=Headers(dict(self.parts.headers)),
        )

    @property
    def path(self) -> str:
        return self.parts.path

    @property
    def method(self) -> str:
        return self.parts.method.lower()

    @property
    def body(self) -> bytes | None:
        return self.parts.body or None

    @property
    def content_type(self) -> str:
        return self.parts.content_type
