"""Fixtures shared by every test folder."""

pytest_plugins = ["sandbox.pytest_plugin"]
