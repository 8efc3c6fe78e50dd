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
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from infrascan import __version__

if TYPE_CHECKING:
    from infrascan.pipeline import ScanOptions

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
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors (and the report).")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Print every diagnostic and per-detector counts.")]


def _output_level(quiet: bool, verbose: bool) -> None:
    """Options given after the command name count as much as those before it."""
    OPTIONS.quiet = OPTIONS.quiet or quiet
    OPTIONS.verbose = OPTIONS.verbose or verbose


NoCacheOpt = Annotated[bool, typer.Option("--no-cache", help="Do not read or write infrascan's cache "
                                          "(~/.cache/infrascan).")]
JobsOpt = Annotated[int | None, typer.Option("--jobs", "-j", min=1, help="Worker processes for parsing "
                                             "(default: the number of CPUs; used only when there is enough work).")]


def _scan_options(no_cache: bool, jobs: int | None) -> ScanOptions:
    from infrascan.pipeline import ScanOptions
    from infrascan.progress import TerminalProgress

    return ScanOptions(use_cache=not no_cache, jobs=jobs, progress=TerminalProgress(not OPTIONS.quiet))


NoDiagramsOpt = Annotated[bool, typer.Option("--no-diagrams", help="Leave out the CI/CD Mermaid diagram.")]
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
    # a scan the cache answered reads nothing: said so, not as if nothing had been found to read
    read = "0 read (every result from the cache)" if not model.files_read and any(
        s.files for s in model.sources) else f"{model.files_read} read"
    say(
        f"infrascan: {model.files_listed} files listed, {read}, {len(model.facts)} facts; "
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
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Where to write the document "
                                                   "(default: INFRASTRUCTURE.md at the repository root).")] = None,
    stdout: Annotated[bool, typer.Option("--stdout", help="Print the document instead of writing it.")] = False,
    check: Annotated[bool, typer.Option("--check", help="Write nothing; print a diff and exit 1 if the document "
                                        "is missing or stale in facts or values, 0 if current.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 when a value a person wrote now conflicts "
                                         "with the repository.")] = False,
    template: Annotated[Path | None, typer.Option("--template", help="Render with this Jinja2 template "
                                                     "(sandboxed) instead of the built-in one; such documents "
                                                     "are regenerated whole.")] = None,
    permalinks: PermalinksOpt = False,
    per_component: Annotated[bool, typer.Option("--per-component", help="Also write an INFRASTRUCTURE.md in each "
                                                "component directory of a monorepo, each with its own merge and "
                                                "drift.")] = False,
    config: ConfigOpt = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
    no_cache: NoCacheOpt = False,
    jobs: JobsOpt = None,
    no_diagrams: NoDiagramsOpt = False,
) -> None:
    """Scan a repository and write its INFRASTRUCTURE.md, keeping what people wrote in it."""
    _output_level(quiet, verbose)
    from infrascan.pipeline import build_document, document_path_in_repo, scanned
    from infrascan.replay import note_input, settled
    from infrascan.writer import atomic_write

    if _is_url(target) and output is None and not stdout and not check:
        fail("scanning a URL needs -o FILE or --stdout (the clone is deleted afterwards)")
    if per_component and (stdout or _is_url(target)):
        fail("--per-component writes one document per component directory; it cannot be used with --stdout or a URL")
    with scanned(target, ref=ref, config_file=config, options=_scan_options(no_cache, jobs)) as run:
        if (stdout or check) and not per_component:  # the documents it reads are checked on a replay
            settled()
        run.config.diagrams = run.config.diagrams and not no_diagrams
        out_path = output
        if out_path is None and not stdout:
            out_path = run.source.root / run.config.output
        if out_path is None and check:
            out_path = run.source.root / run.config.output
        doc_rel = document_path_in_repo(run.source.root, out_path) if out_path else "INFRASTRUCTURE.md"
        if template is None and run.config.template:
            template = run.source.root / run.config.template
        if template is not None:
            note_input(template)
        targets: list[tuple[Path | None, str | None, str | None]] = [(out_path, doc_rel, None)]
        if per_component:
            for name in (c for c in run.model.components if c):
                targets.append((run.source.root / name / "INFRASTRUCTURE.md", f"{name}/INFRASTRUCTURE.md", name))
        stale = conflicts = False
        for path, rel, component in targets:
            existing = _read_existing(path)
            outcome = build_document(run, existing=existing, doc_path=rel, use_permalinks=permalinks,
                                     template=template, component=component)
            _report_merge(outcome, path)
            conflicts = conflicts or bool(outcome.merge.conflicts)
            if check:
                if existing is None:
                    typer.echo(f"infrascan: {path} does not exist; run `infrascan generate` to write it")
                    stale = True
                elif outcome.changed:
                    _print_diff(existing, outcome.text, str(path))
                    stale = True
                else:
                    say(f"infrascan: {path} is up to date")
            elif stdout:
                sys.stdout.write(outcome.text)
            else:
                assert path is not None
                if existing != outcome.text:
                    atomic_write(path, outcome.text)
                    say(f"infrascan: wrote {path}")
                else:
                    say(f"infrascan: {path} unchanged")
            if component is None:
                _summary(run.model, outcome.view)
        if stale or (strict and conflicts):
            raise typer.Exit(1)


def _read_existing(path: Path | None) -> str | None:
    from infrascan.document import is_infrascan_document
    from infrascan.replay import note_input

    if path is None:
        return None
    note_input(path)
    if not path.exists():
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read the existing {path}: {exc}")
    if not is_infrascan_document(text) and "## " not in text:
        fail(f"{path} exists and does not look like an INFRASTRUCTURE.md (no sections); refusing to touch it")
    return text


def _report_merge(outcome: object, out_path: Path | None) -> None:
    from infrascan.pipeline import Outcome
    from infrascan.redact import scrub

    assert isinstance(outcome, Outcome)
    name = out_path.name if out_path else "document"
    for conflict in outcome.merge.conflicts:
        now = "; ".join(f.text for f in conflict.now) or "nothing (its evidence is gone)"
        typer.echo(scrub(f"infrascan: conflict: {name}:{conflict.line} `{conflict.label}` was edited by a person "
                         f"and kept; the repository now says: {now}"), err=True)
    for kept in outcome.merge.kept:
        typer.echo(scrub(f"infrascan: stale: {name}:{kept.line} {kept.kind} `{kept.key}` has no evidence any more; "
                         "kept because a person edited it"), err=True)


def _print_diff(old: str, new: str, name: str) -> None:
    import difflib

    from infrascan.document import split_state

    old_body, new_body = split_state(old)[0], split_state(new)[0]
    diff = difflib.unified_diff(old_body.splitlines(keepends=True), new_body.splitlines(keepends=True),
                                fromfile=f"{name} (committed)", tofile=f"{name} (repository now)")
    sys.stdout.writelines(diff)


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
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
    no_cache: NoCacheOpt = False,
    jobs: JobsOpt = None,
    no_diagrams: NoDiagramsOpt = False,
) -> None:
    """Scan a repository and print what it says, writing nothing."""
    _output_level(quiet, verbose)
    from infrascan.export import to_json
    from infrascan.pipeline import render, scanned, view_of
    from infrascan.replay import settled

    with scanned(target, ref=ref, config_file=config, options=_scan_options(no_cache, jobs)) as run:
        settled()
        run.config.diagrams = run.config.diagrams and not no_diagrams
        if format is Format.json:
            view = view_of(run, doc_path="INFRASTRUCTURE.md", use_permalinks=permalinks)
            sys.stdout.write(to_json(run.model, view))
        else:
            text, view = render(run, doc_path="INFRASTRUCTURE.md", use_permalinks=permalinks, template=None)
            sys.stdout.write(text)
        _summary(run.model, view)


class DriftFormat(str, Enum):
    text = "text"
    json = "json"
    sarif = "sarif"
    markdown = "markdown"
    codequality = "codequality"


@app.command()
def drift(
    target: TargetArg = ".",
    doc: Annotated[Path | None, typer.Option("--doc", help="The document to check (default: the configured "
                                             "output, INFRASTRUCTURE.md at the repository root).")] = None,
    format: Annotated[DriftFormat, typer.Option("--format", "-f", help="Report format.")] = DriftFormat.text,
    fail_on: Annotated[str | None, typer.Option("--fail-on", help="Comma-separated categories that make the "
                                                "exit code 1 (default: changed,undocumented,stale,contradicted; "
                                                "add gaps to fail on open fields).")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the report to this file.")] = None,
    config: ConfigOpt = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
    no_cache: NoCacheOpt = False,
    jobs: JobsOpt = None,
) -> None:
    """Compare the document with what the repository says now. Exit 0 in sync, 1 drift, 2 error."""
    _output_level(quiet, verbose)
    import os

    from infrascan.config import parse_fail_on
    from infrascan.pipeline import check_drift, scanned
    from infrascan.replay import note_input, settled
    from infrascan.reports import RENDERERS, render_markdown
    from infrascan.writer import atomic_write

    with scanned(target, config_file=config, options=_scan_options(no_cache, jobs)) as run:
        doc_path = doc or (run.source.root / run.config.output)
        if not doc_path.is_file():
            fail(f"{doc_path}: no document to check (run `infrascan generate` first)")
        note_input(doc_path)
        try:
            text = doc_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"cannot read {doc_path}: {exc}")
        categories = parse_fail_on(fail_on, "--fail-on") if fail_on is not None else run.config.fail_on
        report = check_drift(run, text, doc_path, categories)
        if output is None:
            settled()
        rendered = RENDERERS[format.value](report)
        if output is not None:
            atomic_write(output, rendered)
        else:
            sys.stdout.write(rendered)
        summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
        if summary_file:
            with open(summary_file, "a", encoding="utf-8") as handle:
                handle.write(render_markdown(report) + "\n")
        if not report.in_sync:
            raise typer.Exit(1)


@app.command("config")
def show_config(
    target: TargetArg = ".",
    config: ConfigOpt = None,
) -> None:
    """Show the effective configuration and where each value came from."""
    import json

    from infrascan.config import load_config

    effective = load_config(Path(target), config)
    for key, value in effective.as_dict().items():
        typer.echo(f"{key} = {json.dumps(value)}    # {effective.origins.get(key, 'default')}")


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
    try:
        app(standalone_mode=True)
    except KeyboardInterrupt:
        typer.echo("infrascan: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        from infrascan.redact import scrub

        if isinstance(exc, _expected_failures()):
            typer.echo(f"infrascan: error: {scrub(str(exc))}", err=True)
            sys.exit(2)
        if OPTIONS.verbose:
            traceback.print_exc()
        typer.echo(
            f"infrascan: internal error: {type(exc).__name__}: {scrub(str(exc))} "
            "(run with --verbose for details, and please report it)",
            err=True,
        )
        sys.exit(2)


def _expected_failures() -> tuple[type[Exception], ...]:
    """The failures worth one line, imported once one happened: the renderer and the link
    builder (Jinja2 and the view) are not what `--help` or `scan --format json` should load first."""
    from infrascan.config import ConfigError
    from infrascan.links import LinkError
    from infrascan.render.markdown import TemplateError
    from infrascan.source import SourceError

    return (Failure, ConfigError, SourceError, TemplateError, LinkError)
