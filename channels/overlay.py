"""The shop's own templates over the packaged ones, file by file (AFTERCART_TEMPLATES_DIR).

A file in the shop's folder with the same relative name as a packaged one
(`en/order.placed.txt.j2`) is used instead of it, anywhere it is loaded: as a message's
template, a layout it extends or the words and macros it imports. Any other file there is
added; a folder of its own is a new language (`sv/`), whose missing templates fall back to
English as any language's do.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from jinja2 import BaseLoader, ChoiceLoader, FileSystemLoader

PACKAGED = Path(__file__).parent / "templates"
PARTS = ("txt", "html")  # <template>.txt.j2 (subject, text, SMS, push), <template>.html.j2
Origin = Literal["packaged", "overlaid", "added"]


class OverlayError(ValueError):
    """The shop's template folder cannot be used; the message says why."""


def template_loader(templates: Path = PACKAGED, overlay: Path | None = None) -> BaseLoader:
    """A loader that looks in the shop's folder first, then in the packaged templates."""
    own = checked(overlay)
    if own is None:
        return FileSystemLoader(templates)
    return ChoiceLoader([FileSystemLoader(own), FileSystemLoader(templates)])


def checked(overlay: Path | None) -> Path | None:
    """The shop's template folder, if one is set; OverlayError if it is not a folder."""
    if overlay is not None and not overlay.is_dir():
        raise OverlayError(f"AFTERCART_TEMPLATES_DIR={overlay} is not a folder")
    return overlay


def languages(overlay: Path | None = None, templates: Path = PACKAGED) -> list[str]:
    """The languages that have templates of their own, packaged or in the shop's folder."""
    roots = [templates] if overlay is None or not overlay.is_dir() else [templates, overlay]
    return sorted(
        {p.name for root in roots for p in root.iterdir() if _language_folder(p)},
    )


def _language_folder(path: Path) -> bool:
    return path.is_dir() and not path.name.startswith(("_", "."))


def _names(root: Path) -> set[str]:
    """Relative names (`en/order.placed.txt.j2`) of the template files under root."""
    return {p.relative_to(root).as_posix() for p in root.rglob("*.j2") if p.is_file()}


@dataclass(frozen=True)
class TemplateFile:
    """One template file as the renderer would load it, and where it comes from."""

    name: str
    path: Path
    origin: Origin


def template_files(overlay: Path | None = None, templates: Path = PACKAGED) -> list[TemplateFile]:
    """Every file the renderer can load: packaged, overlaid (the shop's instead of the
    packaged one) or added (the shop's only), by name."""
    packaged = _names(templates)
    own = _names(overlay) if overlay is not None and overlay.is_dir() else set()
    files = []
    for name in sorted(packaged | own):
        if name in own:
            origin: Origin = "overlaid" if name in packaged else "added"
            files.append(TemplateFile(name, overlay / name, origin))  # type: ignore[operator]
        else:
            files.append(TemplateFile(name, templates / name, "packaged"))
    return files


def resolve(
    files: list[TemplateFile], language: str, template: str, part: str, default: str = "en"
) -> TemplateFile | None:
    """The file a message in `language` is rendered from, as the renderer falls back."""
    by_name = {f.name: f for f in files}
    for candidate in dict.fromkeys((language, language.split("-")[0], default)):
        if found := by_name.get(f"{candidate}/{template}.{part}.j2"):
            return found
    return None


def export(destination: Path, *, force: bool = False, templates: Path = PACKAGED) -> list[Path]:
    """Copy the packaged templates into destination, as a shop's starting point; refuses to
    overwrite a file there unless force. The paths written."""
    names = sorted(_names(templates))
    taken = [destination / n for n in names if (destination / n).exists()]
    if taken and not force:
        shown = ", ".join(str(p) for p in taken[:3]) + (" ..." if len(taken) > 3 else "")
        raise FileExistsError(
            f"{len(taken)} file(s) already there ({shown}); add --force to overwrite them"
        )
    written = []
    for name in names:
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(templates / name, target)
        written.append(target)
    return written
