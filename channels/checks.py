"""Every template rendered once from sample data, before a worker takes its first message.

A template that does not compile, or fails on the sample (a name it reads that no request
has, under StrictUndefined), is a Problem naming its file and line. Channel workers refuse
to start with one (aftercart/commands/worker.py); `aftercart templates check` prints them.
The renderer keeps what it compiled here, so the worker's first messages cost no more.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jinja2 import TemplateNotFound, TemplateSyntaxError, UndefinedError

from channels.overlay import languages, template_files
from channels.preview import CHANNELS, SAMPLES, sample_request
from channels.render import TEXT_BLOCKS, Renderer
from runtime.settings import Settings


@dataclass(frozen=True)
class Problem:
    """A broken template: where (file and line) and what."""

    file: str
    line: int | None
    message: str
    sample: str = ""  # which sample showed it: template, channel, language

    def __str__(self) -> str:
        at = f"{self.file}:{self.line}" if self.line else self.file
        return f"{at}: {self.message}" + (f" (rendering {self.sample})" if self.sample else "")


def renderer_for(settings: Settings) -> Renderer:
    """The renderer the settings describe: the shop's brand and its own templates."""
    return Renderer(overlay=settings.templates_dir, brand=settings.brand)


def check_templates(renderer: Renderer, overlay: Path | None = None) -> list[Problem]:
    """Compile every template file, then render every sample in every language on every
    channel; the problems found, each once."""
    found: dict[tuple[str, int | None, str], Problem] = {}
    for file in template_files(overlay):
        try:
            loaded = renderer.load(file.name)
        except TemplateSyntaxError as exc:
            problem = Problem(str(file.path), exc.lineno, f"syntax error: {exc.message}")
            found.setdefault((problem.file, problem.line, problem.message), problem)
            continue
        missing = [b for b in TEXT_BLOCKS if b not in loaded.blocks]
        if file.name.endswith(".txt.j2") and not _helper(file.name) and missing:
            problem = Problem(str(file.path), None, f"lacks blocks {', '.join(missing)}")
            found.setdefault((problem.file, problem.line, problem.message), problem)
    known = languages(overlay)
    for language in known:
        for template in SAMPLES:
            for channel in CHANNELS:
                request = sample_request(template, channel, language, known=known)
                try:
                    if channel == "email":
                        renderer.email(request)
                    elif channel == "sms":
                        renderer.sms(request)
                    else:
                        renderer.push(request, ttl=3600)
                except Exception as exc:  # any failure is the template's, to be reported
                    problem = located(exc, f"{template}, {channel}, {language}")
                    found.setdefault((problem.file, problem.line, problem.message), problem)
    problems = list(found.values())
    # One that could not be placed in a file mostly follows from one that could (a template
    # lacking a block fails every render of it): show it only when it is all there is.
    return [p for p in problems if p.file != "?"] or problems


def _helper(name: str) -> bool:
    """Layouts, words and shared macros (`_words.j2`, `_shared/...`): not a message."""
    return any(part.startswith("_") for part in name.split("/"))


def located(exc: BaseException, sample: str = "") -> Problem:
    """The template file and line an error while rendering comes from, and what it says."""
    cause = exc.__cause__ or exc
    if isinstance(cause, TemplateSyntaxError):
        file = cause.filename or cause.name or "?"
        return Problem(file, cause.lineno, f"syntax error: {cause.message}", sample)
    file, line = "?", None
    tb = cause.__traceback__
    while tb is not None:  # the innermost template frame is where it failed
        template = tb.tb_frame.f_globals.get("__jinja_template__")
        if template is not None and template.filename:
            file, line = template.filename, template.get_corresponding_lineno(tb.tb_lineno)
        elif tb.tb_frame.f_code.co_filename.endswith(".j2"):  # a frame jinja rewrote
            file, line = tb.tb_frame.f_code.co_filename, tb.tb_lineno
        tb = tb.tb_next
    return Problem(file, line, _what(cause), sample)


def _what(exc: BaseException) -> str:
    if isinstance(exc, UndefinedError):
        return f"undefined: {exc}"
    if isinstance(exc, TemplateNotFound):
        return f"no such template: {exc}"
    return f"{type(exc).__name__}: {exc}"
