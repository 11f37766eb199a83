"""docker-compose.yml and the Dockerfile, checked without a Docker engine: the file is valid
against the Compose Specification's own schema (vendor/compose-spec/), every command is one the
`aftercart` command accepts, every AFTERCART_* name is a setting and each service's environment
builds the settings it needs, the workers can scale, and the image runs `aftercart`. Each check
is also shown to catch a file broken in the way it looks for."""

from __future__ import annotations

import fnmatch
import json
import os
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator

from aftercart.cli import parser
from aftercart.commands.worker import WORKERS
from runtime.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
SCHEMA = ROOT / "vendor" / "compose-spec" / "compose-spec.json"
VARIABLE = re.compile(r"AFTERCART_[A-Z0-9_]+")
INTERPOLATION = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}")
CHANNEL_WORKERS = ("email", "sms", "push")

Compose = dict[str, Any]


def _compose() -> Compose:
    loaded: Compose = yaml.safe_load(COMPOSE.read_text())
    # Anchors share objects between services (deepcopy keeps that): one mutation, one service.
    return json.loads(json.dumps(loaded))


def _ours(compose: Compose) -> dict[str, dict[str, Any]]:
    """The services built from the project's Dockerfile: those that run `aftercart`."""
    return {name: s for name, s in compose["services"].items() if "build" in s}


def _environment(service: dict[str, Any]) -> dict[str, str]:
    """The variables a service's container gets when the shell sets none of them."""
    env = {}
    for name, value in (service.get("environment") or {}).items():
        if value is None:  # passed through from the shell: unset here
            continue
        text = str(value)
        if "$" in INTERPOLATION.sub("", text):
            raise AssertionError(f"{name}: only ${{NAME}} and ${{NAME:-default}} are used")
        env[name] = INTERPOLATION.sub(lambda m: m[2] or "", text)
    return env


def _settings(service: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name in [n for n in os.environ if n.startswith("AFTERCART_")]:
        monkeypatch.delenv(name)
    with monkeypatch.context() as patch:
        for name, value in _environment(service).items():
            patch.setenv(name, value)
        return Settings()


def schema_problems(compose: Compose) -> list[str]:
    """What the Compose Specification's schema says is wrong with the file."""
    validator = Draft7Validator(json.loads(SCHEMA.read_text()))
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(compose)]


def command_problems(compose: Compose) -> list[str]:
    """Commands `aftercart` would refuse, and pipeline processes without a service."""
    problems, workers = [], set()
    for name, service in _ours(compose).items():
        command = service.get("command")
        if not isinstance(command, list):
            problems.append(f"{name}: command must be a list (exec form), not {command!r}")
            continue
        try:
            args = parser().parse_args(command)
        except SystemExit:
            problems.append(f"{name}: `aftercart {' '.join(command)}` is not a command")
            continue
        if args.command == "worker":
            workers.add(args.name)
    problems += [f"no service runs `aftercart worker {w}`" for w in WORKERS if w not in workers]
    return problems


def variable_problems(text: str) -> list[str]:
    """AFTERCART_* names in the file that are no field of Settings."""
    names = sorted(set(VARIABLE.findall(text)))
    fields = Settings.model_fields
    return [n for n in names if n.removeprefix("AFTERCART_").lower() not in fields]


def scaling_problems(compose: Compose) -> list[str]:
    """What stops `docker compose up --scale WORKER=N`: a fixed name, host port or hostname."""
    problems = []
    for name, service in _ours(compose).items():
        if service.get("command", [None])[0] != "worker":
            continue
        problems += [
            f"{name}: {key}" for key in ("container_name", "ports", "hostname") if key in service
        ]
        if "scale" in service or "replicas" in service.get("deploy", {}):
            problems.append(f"{name}: a fixed replica count")
    return problems


def order_problems(compose: Compose) -> list[str]:
    """Start order: kafka healthy, then topics once, then the rest; channel workers after the
    sandbox is healthy."""
    services = compose["services"]
    problems = []
    if "healthcheck" not in services["kafka"]:
        problems.append("kafka: no healthcheck")
    topics = services["topics"]
    if topics.get("depends_on", {}).get("kafka", {}).get("condition") != "service_healthy":
        problems.append("topics: does not wait for a healthy kafka")
    if topics.get("restart", "no") != "no":
        problems.append("topics: a one-shot that restarts never completes")
    for name, service in _ours(compose).items():
        needs = service.get("depends_on", {})
        if name != "sandbox" and name != "topics":
            if needs.get("topics", {}).get("condition") != "service_completed_successfully":
                problems.append(f"{name}: starts before the topics exist")
        if name in CHANNEL_WORKERS:
            if needs.get("sandbox", {}).get("condition") != "service_healthy":
                problems.append(f"{name}: starts before the sandbox answers")
    if "healthcheck" not in services["sandbox"]:
        problems.append("sandbox: no healthcheck")
    return problems


def environment_problems(compose: Compose, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Settings each service builds from its environment that would not work in a container."""
    services, problems = compose["services"], []
    listeners = services["kafka"]["environment"]["KAFKA_ADVERTISED_LISTENERS"]
    sandbox_name = services["sandbox"].get("hostname")
    for name, service in _ours(compose).items():
        settings = _settings(service, monkeypatch)
        if name != "sandbox" and f"//{settings.kafka_bootstrap}" not in listeners:
            problems.append(f"{name}: Kafka at {settings.kafka_bootstrap}, not where it listens")
        if settings.push_allow_sandbox is not (name == "push"):
            problems.append(f"{name}: push_allow_sandbox is {settings.push_allow_sandbox}")
        if name in (*CHANNEL_WORKERS, "sandbox") and settings.sandbox_host != sandbox_name:
            problems.append(f"{name}: the sandbox at {settings.sandbox_host}, not {sandbox_name}")
    gateway = _settings(services["gateway"], monkeypatch)
    if gateway.gateway_host != "0.0.0.0":
        problems.append(f"gateway: listens on {gateway.gateway_host}, unreachable from outside")
    if services["gateway"].get("ports") != [f"127.0.0.1:8080:{gateway.gateway_port}"]:
        problems.append(f"gateway: port {gateway.gateway_port} is not the one published")
    sandbox = _settings(services["sandbox"], monkeypatch)
    if services["sandbox"].get("ports") != [f"127.0.0.1:8787:{sandbox.sandbox_port}"]:
        problems.append(f"sandbox: port {sandbox.sandbox_port} is not the one published")
    return problems


def _instructions(text: str) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", text)
    lines = [line.strip() for line in joined.splitlines()]
    return [
        (word.upper(), rest.strip())
        for word, _, rest in (line.partition(" ") for line in lines if line and line[0] != "#")
    ]


def dockerfile_problems(text: str) -> list[str]:
    """The image: python:3.11-slim, the project installed by pip, `aftercart` as entrypoint."""
    steps = _instructions(text)
    problems = []
    froms = [rest for word, rest in steps if word == "FROM"]
    if froms[:1] != ["python:3.11-slim"]:
        problems.append(f"FROM {froms}: expected python:3.11-slim")
    copied = [rest.split()[-1] for word, rest in steps if word == "COPY" and rest.startswith(". ")]
    if not any(
        f"pip install {dest}" in rest for word, rest in steps if word == "RUN" for dest in copied
    ):
        problems.append("the project is not copied in and installed with pip")
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    entrypoints = [json.loads(rest) for word, rest in steps if word == "ENTRYPOINT"]
    if entrypoints[-1:] != [["aftercart"]] or "aftercart" not in scripts:
        problems.append(f'ENTRYPOINT {entrypoints}: expected ["aftercart"]')
    users = [rest for word, rest in steps if word == "USER"]
    if not users or users[-1] in ("root", "0"):
        problems.append("the processes run as root")
    return problems


def test_the_vendored_schema_is_draft_07_and_sound() -> None:
    schema = json.loads(SCHEMA.read_text())
    assert schema["$schema"].startswith("https://json-schema.org/draft-07/")
    Draft7Validator.check_schema(schema)
    assert (SCHEMA.parent / "LICENSE").exists()


def test_the_compose_file_is_valid_against_the_compose_specification() -> None:
    assert schema_problems(_compose()) == []


def test_every_command_is_one_aftercart_accepts() -> None:
    assert command_problems(_compose()) == []


def test_every_aftercart_variable_in_the_file_is_a_setting() -> None:
    assert variable_problems(COMPOSE.read_text()) == []


def test_the_workers_can_scale() -> None:
    assert scaling_problems(_compose()) == []


def test_each_service_gets_the_settings_it_needs(monkeypatch: pytest.MonkeyPatch) -> None:
    assert environment_problems(_compose(), monkeypatch) == []


def test_kafka_then_topics_then_the_pipeline() -> None:
    assert order_problems(_compose()) == []


def test_the_image_installs_the_project_and_runs_aftercart() -> None:
    assert dockerfile_problems(DOCKERFILE.read_text()) == []


def test_the_build_context_keeps_what_pip_install_reads() -> None:
    ignored = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = [p.rstrip("*") for p in config["tool"]["setuptools"]["packages"]["find"]["include"]]
    for needed in ["pyproject.toml", "README.md", *packages]:
        assert not [p for p in ignored if fnmatch.fnmatch(needed, p)], needed


def _set(path: str, value: Any) -> Callable[[Compose], None]:
    def mutate(compose: Compose) -> None:
        *parents, last = path.split(".")
        node = compose
        for key in parents:
            node = node[key]
        node[last] = value

    return mutate


def _drop(path: str) -> Callable[[Compose], None]:
    def mutate(compose: Compose) -> None:
        *parents, last = path.split(".")
        node = compose
        for key in parents:
            node = node[key]
        del node[last]

    return mutate


BROKEN: list[tuple[str, Callable[[Compose], None], Callable[[Compose], list[str]]]] = [
    ("an unknown key", _set("services.email.replica", 2), schema_problems),
    ("ports as a number", _set("services.gateway.ports", 8080), schema_problems),
    (
        "a wrong condition",
        _set("services.sms.depends_on.topics.condition", "done"),
        schema_problems,
    ),
    ("a misspelt worker", _set("services.push.command", ["worker", "pushes"]), command_problems),
    (
        "a shell command",
        _set("services.email.command", "sh -c 'aftercart worker email'"),
        command_problems,
    ),
    ("a missing worker", lambda c: c["services"].pop("streams"), command_problems),
    ("a fixed name", _set("services.email.container_name", "email"), scaling_problems),
    ("a host port", _set("services.sms.ports", ["9000:9000"]), scaling_problems),
    ("no wait for topics", _set("services.email.depends_on", {}), order_problems),
    ("topics restarting", _set("services.topics.restart", "always"), order_problems),
    ("no kafka healthcheck", lambda c: c["services"]["kafka"].pop("healthcheck"), order_problems),
]


@pytest.mark.parametrize(("broken", "mutate", "check"), BROKEN, ids=[b[0] for b in BROKEN])
def test_a_broken_compose_file_fails_its_check(
    broken: str, mutate: Callable[[Compose], None], check: Callable[[Compose], list[str]]
) -> None:
    compose = _compose()
    mutate(compose)
    assert check(compose), broken


def test_a_misspelt_variable_fails() -> None:
    text = COMPOSE.read_text().replace("AFTERCART_KAFKA_BOOTSTRAP", "AFTERCART_KAFKA_BOOTSTRAPS")
    assert variable_problems(text) == ["AFTERCART_KAFKA_BOOTSTRAPS"]


GATEWAY, SANDBOX = "services.gateway.environment", "services.sandbox.environment"
BROKEN_ENVIRONMENT: list[tuple[str, Callable[[Compose], None]]] = [
    ("gateway on loopback", _drop(f"{GATEWAY}.AFTERCART_GATEWAY_HOST")),
    ("gateway on another port", _set(f"{GATEWAY}.AFTERCART_GATEWAY_PORT", 9090)),
    ("sandbox on 0.0.0.0", _set(f"{SANDBOX}.AFTERCART_SANDBOX_HOST", "0.0.0.0")),
    ("sandbox on another port", _set(f"{SANDBOX}.AFTERCART_SANDBOX_PORT", 9787)),
    ("sms to a loopback sandbox", _drop("services.sms.environment.AFTERCART_SANDBOX_HOST")),
    ("sandbox push for email", _set("services.email.environment.AFTERCART_PUSH_ALLOW_SANDBOX", 1)),
    ("no sandbox push", _drop("services.push.environment.AFTERCART_PUSH_ALLOW_SANDBOX")),
    (
        "kafka on loopback",
        _set("services.streams.environment.AFTERCART_KAFKA_BOOTSTRAP", "localhost:9092"),
    ),
]


@pytest.mark.parametrize(
    ("broken", "mutate"), BROKEN_ENVIRONMENT, ids=[b[0] for b in BROKEN_ENVIRONMENT]
)
def test_a_broken_environment_fails(
    broken: str, mutate: Callable[[Compose], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    compose = _compose()
    mutate(compose)
    assert environment_problems(compose, monkeypatch), broken


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("FROM python:3.11-slim", "FROM python:3.12-slim"),
        ('ENTRYPOINT ["aftercart"]', 'ENTRYPOINT ["python"]'),
        ("RUN pip install /src", "RUN true"),
        ("USER aftercart", ""),
    ],
)
def test_a_broken_dockerfile_fails(old: str, new: str) -> None:
    text = DOCKERFILE.read_text()
    assert old in text
    assert dockerfile_problems(text.replace(old, new))
