"""pytest fixtures for a running provider sandbox.

Enable with `pytest_plugins = ["sandbox.pytest_plugin"]` in the root conftest.py, or import the
fixtures into a test module.
"""

from __future__ import annotations

import pytest

from sandbox.testing import SandboxHandle, shared_sandbox


@pytest.fixture(scope="session")
def sandbox_server() -> SandboxHandle:
    """The process-wide sandbox (started once; the contracts take about 4 s to load)."""
    return shared_sandbox()


@pytest.fixture
def sandbox(sandbox_server: SandboxHandle) -> SandboxHandle:
    """The shared sandbox with an empty outbox and no fault profiles."""
    sandbox_server.clear()
    sandbox_server.clear_faults()
    return sandbox_server
