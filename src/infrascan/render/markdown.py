"""Renders the document view with Jinja2: infrascan's own template, or a user's in a sandbox.

A user's template is code written by whoever controls the repository's configuration; it runs
in Jinja2's sandbox so that `{{ ''.__class__ }}`-style escapes fail with a clear message
instead of reaching Python.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from infrascan.render.view import DocumentView

DEFAULT_TEMPLATE = "default.md.j2"


class TemplateError(Exception):
    """A user template that cannot be read, parsed or rendered (one line for the user)."""


def header_line(filled: int, total: int) -> str:
    """The coverage line under the title (counting fields a person filled too, after a merge)."""
    gaps = total - filled
    return (
        f"infrascan: {filled} of {total} fields filled, {gaps} gap{'s' if gaps != 1 else ''}. Each value "
        f"infrascan wrote links to the file and line it comes from; each **Gap** says where infrascan looked. "
        f"Edit freely: infrascan keeps what you write."
    )


def _environment(sandboxed: bool) -> jinja2.Environment:
    if sandboxed:
        return ImmutableSandboxedEnvironment(
            autoescape=False, keep_trailing_newline=True, undefined=jinja2.StrictUndefined
        )
    return jinja2.Environment(autoescape=False, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)


def _finish(text: str) -> str:
    lines = [line.rstrip() for line in text.splitlines()]
    out: list[str] = []
    for line in lines:
        if line == "" and out and out[-1] == "":
            continue  # one blank line is enough anywhere
        out.append(line)
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"


def render_markdown(doc: DocumentView, template_path: Path | None = None) -> str:
    context = {"doc": doc, "header": header_line(doc.filled, doc.total), "extras": doc.extras}
    if template_path is None:
        source = resources.files("infrascan").joinpath(f"templates/{DEFAULT_TEMPLATE}").read_text(encoding="utf-8")
        return _finish(_environment(False).from_string(source).render(context))
    try:
        source = template_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(f"cannot read template {template_path}: {exc}") from None
    env = _environment(True)
    try:
        return _finish(env.from_string(source).render(context))
    except SecurityError as exc:
        raise TemplateError(f"template {template_path} tried something the sandbox forbids: {exc}") from None
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"template {template_path}:{exc.lineno}: {exc.message}") from None
    except jinja2.TemplateError as exc:
        raise TemplateError(f"template {template_path}: {exc}") from None
    except Exception as exc:  # a template is user code; its failures are the user's to read
        raise TemplateError(f"template {template_path} failed: {type(exc).__name__}: {exc}") from None
