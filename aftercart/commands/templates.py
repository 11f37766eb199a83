"""`aftercart templates check|list|export DIR`: the shop's own templates (AFTERCART_TEMPLATES_DIR)
over the packaged ones: are they all sound, which file each message comes from, and a copy
of the packaged ones to start from."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from aftercart.commands.base import Command
from runtime.settings import Settings

PROG = "aftercart templates"


def arguments(parser: argparse.ArgumentParser) -> None:
    """check, list, or export DIR [--force]."""
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser(
        "check",
        help="render every template (packaged and the shop's) from sample data in every "
        "language on every channel; exit 1 naming the file and line of each broken one",
    )
    actions.add_parser(
        "list",
        help="for each language, template and part: the file it is rendered from, and "
        "whether that is packaged, overlaid or added by the shop",
    )
    export = actions.add_parser(
        "export", help="copy the packaged templates into DIR, as a starting point"
    )
    export.add_argument("dir", metavar="DIR", type=Path)
    export.add_argument("--force", action="store_true", help="overwrite files already in DIR")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run the chosen action; exit 2 when AFTERCART_TEMPLATES_DIR or DIR cannot be used."""
    from channels.overlay import OverlayError

    try:
        if args.action == "check":
            return check(settings)
        if args.action == "list":
            return show(settings)
        return export(args.dir, args.force)
    except (OverlayError, FileExistsError) as exc:
        print(f"{PROG} {args.action}: {exc}", file=sys.stderr)
        return 2


def check(settings: Settings) -> int:
    """What a channel worker checks at start."""
    from channels.checks import check_templates, renderer_for

    problems = check_templates(renderer_for(settings), settings.templates_dir)
    for problem in problems:
        print(f"broken template {problem}", file=sys.stderr)
    if problems:
        return 1
    where = settings.templates_dir or "the packaged templates only"
    print(f"every template renders ({where})")
    return 0


def show(settings: Settings) -> int:
    """One line per language, template and part: the file, and where it comes from."""
    from channels.overlay import PARTS, checked, languages, resolve, template_files
    from channels.preview import SAMPLES

    overlay = checked(settings.templates_dir)
    files = template_files(overlay)
    rows = [("LANGUAGE", "TEMPLATE", "PART", "FROM", "FILE")]
    for language in languages(overlay):
        for template in SAMPLES:
            for part in PARTS:
                found = resolve(files, language, template, part)
                if found is None:
                    continue
                origin: str = found.origin
                if not found.name.startswith(f"{language}/"):
                    origin = f"{origin}, {found.name.split('/')[0]}"  # the fallback's
                rows.append((language, template, part, origin, str(found.path)))
    for file in files:
        if file.name.rsplit("/", 1)[-1].startswith("_"):  # layouts, words, shared macros
            rows.append(("", file.name, "shared", file.origin, str(file.path)))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print(
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + "  " + row[4]
        )
    return 0


def export(destination: Path, force: bool) -> int:
    """Copy the packaged templates; refuse to overwrite without --force."""
    from channels.overlay import export as copy_packaged

    written = copy_packaged(destination, force=force)
    print(f"{len(written)} templates written to {destination}")
    folder = destination.resolve()
    print(f"point AFTERCART_TEMPLATES_DIR={folder} at them; keep only the files you change")
    return 0


COMMAND = Command(
    "templates", "check, list or export the message templates (the shop's own too)", run, arguments
)
