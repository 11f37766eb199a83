"""The folders' layers (pyproject.toml, [tool.importlinter]) hold, and the check catches a
reversed import: the same contract run over a copy of the tree with one import turned upward."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _packages() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return list(config["tool"]["importlinter"]["root_packages"])


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _copy_tree(into: Path) -> Path:
    for package in _packages():
        shutil.copytree(
            ROOT / package, into / package, ignore=shutil.ignore_patterns("__pycache__", "*.j2")
        )
    shutil.copy(ROOT / "pyproject.toml", into / "pyproject.toml")
    return into


def test_the_tree_keeps_its_layers() -> None:
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 1 kept, 0 broken." in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "arrow"),
    [
        # a lower folder importing a higher one
        ("streams/decide.py", "from aftercart.cli import main", "streams.decide -> aftercart.cli"),
        # two roles of one layer importing each other
        (
            "channels/base.py",
            "from streams.policy import Policy",
            "channels.base -> streams.policy",
        ),
    ],
)
def test_an_import_upward_or_sideways_fails_the_check(
    tmp_path: Path, module: str, line: str, arrow: str
) -> None:
    tree = _copy_tree(tmp_path)
    source = tree / module
    source.write_text(source.read_text() + f"\n{line}  # noqa\n")
    result = _lint(tree)
    assert result.returncode == 1, result.stdout
    assert "Folders import downward only BROKEN" in result.stdout
    assert arrow in result.stdout
