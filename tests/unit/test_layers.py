"""The folders' layers (pyproject.toml, [tool.importlinter]) hold, and the check catches a
reversed import: the same contract run over a copy of the tree with one import turned upward."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

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


def test_a_lower_folder_importing_a_higher_one_fails_the_check(tmp_path: Path) -> None:
    tree = _copy_tree(tmp_path)
    decide = tree / "streams" / "decide.py"
    decide.write_text(decide.read_text() + "\nfrom aftercart.cli import main  # noqa\n")
    result = _lint(tree)
    assert result.returncode == 1, result.stdout
    assert "Folders import downward only BROKEN" in result.stdout
    assert "streams.decide -> aftercart.cli" in result.stdout


def test_two_roles_of_one_layer_may_not_import_each_other(tmp_path: Path) -> None:
    tree = _copy_tree(tmp_path)
    base = tree / "channels" / "base.py"
    base.write_text(base.read_text() + "\nfrom streams.policy import Policy  # noqa\n")
    result = _lint(tree)
    assert result.returncode == 1, result.stdout
    assert "channels.base -> streams.policy" in result.stdout
