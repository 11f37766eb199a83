"""The README's folder table says what the tree is: every package has its row, each row's layer
is the one the import check enforces, and every file a row names is there."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ROW = re.compile(r"^\| (\d) \| `(\w+)/` \| (.*) \|$")


def _rows() -> dict[str, tuple[int, str]]:
    text = (ROOT / "README.md").read_text()
    section = text.split("### Folders and layers", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        if match := ROW.match(line):
            rows[match[2]] = (int(match[1]), match[3])
    return rows


def _layers() -> list[list[str]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    (contract,) = config["tool"]["importlinter"]["contracts"]
    return [[name.strip() for name in re.split(r"[|:]", layer)] for layer in contract["layers"]]


def test_every_package_of_the_project_has_a_row() -> None:
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests"}
    assert set(_rows()) == packages


def test_each_rows_layer_is_the_one_the_import_check_enforces() -> None:
    layers = _layers()
    rows = _rows()
    for index, names in enumerate(layers):
        for name in names:
            assert rows[name][0] == len(layers) - index, name


def test_every_file_a_row_names_is_in_its_folder() -> None:
    for folder, (_, role) in _rows().items():
        for named in re.findall(r"`([\w/]+(?:\.py|/))`", role):
            if named.startswith(f"{folder}/"):
                named = named.removeprefix(f"{folder}/")
            assert (ROOT / folder / named).exists(), f"{folder}/{named}"
