"""The command line. Commands only wire options to the pipeline and print; they decide nothing.

Exit codes: 0 done (diagnostics or not), 1 a check found the document stale or drifted, 2 a
usage error, a refusal, or a repository that cannot be read; always one line, never a
traceback (`--verbose` adds the traceback for bug reports).
"""

from __future__ import annotations

import sys
import traceback
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from infrascan import __version__

app = typer.Typer(
    name="infrascan",
    help="Write and keep honest a repository's INFRASTRUCTURE.md: every value cited, every gap flagged.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@dataclass
class Options:
    quiet: bool = False
    verbose: bool = False


OPTIONS = Options()


class Failure(Exception):
    """Ends the command with a one-line message and exit code 2."""


def fail(message: str) -> NoReturn:
    raise Failure(message)


def say(message: str) -> None:
    if not OPTIONS.quiet:
        typer.echo(message, err=True)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"infrascan {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Print every diagnostic and per-detector counts.")
    ] = False,
) -> None:
    """Global options."""
    OPTIONS.quiet, OPTIONS.verbose = quiet, verbose


TargetArg = Annotated[str, typer.Argument(help="Repository directory (default: current) or git URL to clone.")]
RefOpt = Annotated[
    str | None, typer.Option("--ref", help="Read files at this commit, branch or tag, without checking it out.")
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config", help="Configuration file to use instead of the repository's .infrascan.toml / pyproject.toml."
    ),
]
PermalinksOpt = Annotated[
    bool,
    typer.Option(
        "--permalinks", help="Link evidence to the file and line on the repository host at the scanned commit."
    ),
]


def _summary(model: object, view: object) -> None:
    from infrascan.merge import Model
    from infrascan.render.view import DocumentView

    assert isinstance(model, Model) and isinstance(view, DocumentView)
    errors = sum(1 for d in model.diagnostics if d.severity.value == "error")
    say(
        f"infrascan: {model.files_listed} files listed, {model.files_read} read, {len(model.facts)} facts; "
        f"{view.filled} of {view.total} fields filled, {view.gaps} gaps; "
        f"{len(model.diagnostics)} diagnostics ({errors} errors)"
    )
    shown = model.diagnostics if OPTIONS.verbose else [d for d in model.diagnostics if d.severity.value != "info"]
    limit = None if OPTIONS.verbose else 20
    from infrascan.redact import scrub

    for diag in shown[:limit]:
        say(f"  {diag.severity.value}: {scrub(diag.location())}: {scrub(diag.message)}")
    if limit is not None and len(shown) > limit:
        say(f"  ... and {len(shown) - limit} more (use --verbose to see all)")
    if OPTIONS.verbose:
        for src in model.sources:
            say(f"  detector {src.detector}: {src.files} files")


def _is_url(target: str) -> bool:
    return "://" in target or target.startswith("git@")


@app.command()
def generate(
    target: TargetArg = ".",
    ref: RefOpt = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Where to write the document (default: INFRASTRUCTURE.md at the repository root)."
        ),
    ] = None,
    stdout: Annotated[bool, typer.Option("--stdout", help="Print the document instead of writing it.")] = False,
    template: Annotated[
        Path | None,
        typer.Option("--template", help="Render with this Jinja2 template (sandboxed) instead of the built-in one."),
    ] = None,
    permalinks: PermalinksOpt = False,
    config: ConfigOpt = None,
) -> None:
    """Scan a repository and write its INFRASTRUCTURE.md."""
    from infrascan.document import is_infrascan_document, with_state
    from infrascan.pipeline import document_path_in_repo, render, scanned
    from infrascan.writer import atomic_write

    if _is_url(target) and output is None and not stdout:
        fail("scanning a URL needs -o FILE or --stdout (the clone is deleted afterwards)")
    with scanned(target, ref=ref, config_file=config) as run:
        out_path = output
        if out_path is None and not stdout:
            out_path = run.source.root / run.config.output
        doc_rel = document_path_in_repo(run.source.root, out_path) if out_path else "INFRASTRUCTURE.md"
        if out_path is not None and out_path.exists():
            try:
                existing = out_path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                fail(f"cannot read the existing {out_path}: {exc}")
            if not is_infrascan_document(existing):
                fail(
                    f"{out_path} exists and was not written by infrascan; refusing to overwrite it "
                    "(move it away, or pass -o to write elsewhere)"
                )
        text, view = render(run, doc_path=doc_rel, use_permalinks=permalinks, template=template)
        text = with_state(text, run.model)
        if stdout:
            sys.stdout.write(text)
        else:
            assert out_path is not None
            atomic_write(out_path, text)
            say(f"infrascan: wrote {out_path}")
        _summary(run.model, view)


class Format(str, Enum):
    json = "json"
    markdown = "markdown"


@app.command()
def scan(
    target: TargetArg = ".",
    ref: RefOpt = None,
    format: Annotated[
        Format,
        typer.Option(
            "--format",
            "-f",
            help="json: the model, for other programs (see `infrascan schema`); markdown: the document.",
        ),
    ] = Format.json,
    permalinks: PermalinksOpt = False,
    config: ConfigOpt = None,
) -> None:
    """Scan a repository and print what it says, writing nothing."""
    from infrascan.export import to_json
    from infrascan.pipeline import render, scanned

    with scanned(target, ref=ref, config_file=config) as run:
        text, view = render(run, doc_path="INFRASTRUCTURE.md", use_permalinks=permalinks, template=None)
        sys.stdout.write(to_json(run.model, view) if format is Format.json else text)
        _summary(run.model, view)


@app.command()
def detectors() -> None:
    """List the installed detectors, their versions and the files they read."""
    from infrascan.registry import discover

    registry = discover()
    for det in registry.detectors:
        origin = registry.origins.get(det.name, "?")
        typer.echo(f"{det.name} {det.version}  ({origin})")
        if det.description:
            typer.echo(f"    {det.description}")
        if det.patterns:
            typer.echo(f"    files: {', '.join(det.patterns)}")
        if det.sniff:
            typer.echo(f"    content: {', '.join(det.sniff.suffixes)} files matching {det.sniff.pattern.pattern}")
    for diag in registry.diagnostics:
        typer.echo(f"  {diag.severity.value}: {diag.message}", err=True)


@app.command()
def schema() -> None:
    """Print the JSON Schema of `infrascan scan --format json`."""
    from infrascan.export import schema_text

    sys.stdout.write(schema_text())


def main() -> None:
    """Entry point: maps every expected failure to one line and exit 2, and hides tracebacks."""
    from infrascan.config import ConfigError
    from infrascan.links import LinkError
    from infrascan.render.markdown import TemplateError
    from infrascan.source import SourceError

    try:
        app(standalone_mode=True)
    except (Failure, ConfigError, SourceError, TemplateError, LinkError) as exc:
        from infrascan.redact import scrub

        typer.echo(f"infrascan: error: {scrub(str(exc))}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("infrascan: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        from infrascan.redact import scrub

        if OPTIONS.verbose:
            traceback.print_exc()
        typer.echo(
            f"infrascan: internal error: {type(exc).__name__}: {scrub(str(exc))} "
            "(run with --verbose for details, and please report it)",
            err=True,
        )
        sys.exit(2)
