"""The environment that rebuilds a settings object in a child process."""

from __future__ import annotations

import json
from datetime import time
from pathlib import Path

from pydantic import SecretStr

from runtime.settings import Settings


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that rebuilds these settings in a child process."""
    env: dict[str, str] = {}
    for name, value in settings:
        if value is None:
            continue
        plain = _plain(value)
        env[f"AFTERCART_{name.upper()}"] = plain if isinstance(plain, str) else json.dumps(plain)
    return env


def _plain(value: object) -> object:
    """A settings value with its secrets revealed, as an environment variable holds it."""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, bool | int | float | Path | time):
        return str(value)
    return value
