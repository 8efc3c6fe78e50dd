"""Jenkins: `Jenkinsfile`, `Jenkinsfile.*`, `*.jenkinsfile`, read with regular expressions.

A Jenkinsfile is Groovy; infrascan does not evaluate it. It finds `stage('...') { ... }` blocks by
matching braces (strings and comments skipped), and in each stage: `when { branch 'main' }`,
`buildingTag()`, `tag 'v*'`, `changeRequest()` (when the stage runs), `sh`/`bat` commands in every
quoting style (classified like any pipeline command), Groovy steps such as `kubernetesDeploy(...)`
(data in `data/pipeline_steps.yaml`) and `input` (a person must approve: everything after it, in
that stage and the stages that follow, is a manual deploy; an `input` after a stage's first step
holds only the rest of that stage, recorded as `hold_how`). `triggers { cron(...) }` schedules the
pipeline; otherwise it runs whenever the Jenkins job is built (its triggers live in Jenkins).
`post { failure { slackSend ... } }` names an alert channel (a hint).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from infrascan.commands import split_commands
from infrascan.detector import Detector, Extraction, ResolveContext, SourceFile
from infrascan.environments import env_from_name
from infrascan.model import Code, Fact, text

from ._pipelines import Job, PipelineFacts, Step, Trigger, alert_fact, step_catalog

CI = "jenkins"
_STAGE = re.compile(r"""\bstage\s*\(\s*(?:name\s*:\s*)?(?P<q>['"])(?P<name>.*?)(?P=q)[^)]*\)\s*\{""")
_SHELL = re.compile(
    r"""(?<![\w./-])(?:sh|bat|powershell|pwsh)(?:\s*\(\s*|\s+)(?:(?:label|returnStdout|returnStatus|encoding)\s*:\s*[^,'"]*(?:'[^']*'|"[^"]*")?\s*,\s*)*(?:script\s*:\s*)?(?P<q>'''|\"\"\"|'|")"""
)
_INPUT = re.compile(r"""\binput\s*(?:\(|\{|message\s*:|id\s*:|['"])""")
_BRANCH = re.compile(r"""\bbranch\s+(?:pattern\s*:\s*)?(['"])(?P<value>[^'"]+)\1""")
_TAG = re.compile(r"""\btag\s+(?:pattern\s*:\s*)?(['"])(?P<value>[^'"]+)\1""")
_EXPR_BRANCH = re.compile(
    r"""\b(?:env\.)?(?:BRANCH_NAME|GIT_BRANCH)\s*==~?\s*(?:['"/])\(?(?P<value>[\w./|*-]+?)\)?(?:['"/])"""
)
_CRON = re.compile(r"""\bcron\s*\(\s*(['"])(?P<value>[^'"]+)\1""")
_POLL = re.compile(r"""\bpollSCM\s*\(""")
_UPSTREAM = re.compile(r"""\bupstream\s*\(\s*(?:upstreamProjects\s*:\s*)?(['"])(?P<value>[^'"]+)\1""")
_ENV_ASSIGN = re.compile(r"""^\s*(?P<key>[A-Z][A-Z0-9_]*)\s*=\s*(['"])(?P<value>[^'"$]*)\2""", re.M)
_MESSAGE = re.compile(r"""(?:message\s*:?\s*)?(['"])(?P<value>(?:(?!\1)[^\n]){1,120})\1""")


class JenkinsParseError(Exception):
    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


def _skip_string(source: str, i: int) -> int:
    """The index just after the string literal starting at `i`."""
    for quote in ("'''", '"""'):
        if source.startswith(quote, i):
            end = source.find(quote, i + 3)
            if end < 0:
                raise JenkinsParseError(f"unterminated {quote} string", i)
            return end + 3
    quote = source[i]
    j = i + 1
    while j < len(source):
        if source[j] == "\\":
            j += 2
            continue
        if source[j] == quote:
            return j + 1
        if source[j] == "\n":
            raise JenkinsParseError(f"unterminated {quote} string", i)
        j += 1
    raise JenkinsParseError(f"unterminated {quote} string", i)


def blank_comments(source: str) -> str:
    """Comments replaced by spaces (newlines kept), so offsets and lines still match the file."""
    out = list(source)
    i = 0
    while i < len(source):
        ch = source[i]
        if ch in "'\"":
            try:
                i = _skip_string(source, i)
            except JenkinsParseError:
                i += 1
            continue
        if source.startswith("//", i):
            end = source.find("\n", i)
            end = len(source) if end < 0 else end
            out[i:end] = " " * (end - i)
            i = end
            continue
        if source.startswith("/*", i):
            end = source.find("*/", i + 2)
            end = len(source) if end < 0 else end + 2
            out[i:end] = [c if c == "\n" else " " for c in source[i:end]]
            i = end
            continue
        i += 1
    return "".join(out)


def block_end(source: str, open_brace: int) -> int:
    """The index of the `}` closing the `{` at `open_brace` (strings skipped)."""
    depth = 0
    i = open_brace
    while i < len(source):
        ch = source[i]
        if ch in "'\"":
            i = _skip_string(source, i)
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise JenkinsParseError("unclosed `{`", open_brace)


def unbalanced(source: str) -> int | None:
    """The offset of the first `{` never closed (or `}` never opened); None when braces balance."""
    stack: list[int] = []
    i = 0
    while i < len(source):
        ch = source[i]
        if ch in "'\"":
            i = _skip_string(source, i)
            continue
        if ch == "{":
            stack.append(i)
        elif ch == "}":
            if not stack:
                return i
            stack.pop()
        i += 1
    return stack[-1] if stack else None


@dataclass
class _Gate:
    """An `input` step: a person approves before anything after it runs, in builds that reach it."""

    parts: tuple[Any, ...]
    line: int
    triggers: list[str]

    def applies_to(self, stage_triggers: list[Trigger], pipeline: list[Trigger]) -> bool:
        """A gate in a `when { branch 'development' }` stage does not hold a production-only stage."""
        base = [t.label() for t in pipeline]
        labels = [t.label() for t in stage_triggers]
        return self.triggers == base or labels == base or bool(set(self.triggers) & set(labels))


@dataclass
class _Stage:
    name: str
    start: int  # offset of `stage`
    body_start: int
    body_end: int
    parent: int | None = None


class JenkinsDetector(Detector):
    name = "jenkins"
    version = "1"
    description = "Jenkinsfiles (regex): stages, when conditions, sh commands, input gates, triggers, post alerts"
    patterns = ("Jenkinsfile", "Jenkinsfile.*", "*.jenkinsfile", "*.Jenkinsfile")
    looks_for = {
        "ci.build": "`sh` build commands in Jenkinsfile stages",
        "ci.test.unit": "`sh` test commands in Jenkinsfile stages",
        "ci.test.integration": "integration-test commands and stage names in Jenkinsfiles",
        "ci.test.e2e": "browser-test commands in Jenkinsfile stages",
        "ci.deploy.manual": "`input` steps before deploy stages in Jenkinsfiles",
        "ci.deploy.automated": "deploy commands and `when { branch }` in Jenkinsfile stages",
        "deploy.steps": "deploy stages of Jenkinsfiles",
        "alert.channels": "`slackSend`/`mail` in Jenkinsfile `post` blocks",
    }

    def extract(self, file: SourceFile) -> Extraction:
        out = Extraction()
        source = blank_comments(file.text)
        try:
            stages = self._stages(source)
        except JenkinsParseError as exc:
            line = source.count("\n", 0, exc.offset) + 1
            out.diagnostics.append(self.diagnostic(file.path, line, f"cannot parse the Jenkinsfile: {exc}"))
            return out
        try:
            open_brace = unbalanced(source)
        except JenkinsParseError:
            open_brace = None  # a bad string is reported where a step reads it
        if open_brace is not None:
            line = source.count("\n", 0, open_brace) + 1
            out.diagnostics.append(self.diagnostic(file.path, line, "unbalanced braces: this `{` or `}` has no match"))
        triggers = self._triggers(source)
        names = [
            m.group("value")
            for m in _ENV_ASSIGN.finditer(self._block(source, "environment", 0, len(source)) or "")
            if env_from_name(m.group("value"))
        ]
        jobs: list[Job] = []
        gates: list[_Gate] = []
        for stage in stages:
            own = self._own_text(source, stage, stages)
            try:
                steps = self._steps(file, source, own, stage)
            except JenkinsParseError as exc:
                line = source.count("\n", 0, exc.offset) + 1
                out.diagnostics.append(self.diagnostic(file.path, line, f"cannot read a `sh` step: {exc}"))
                steps = []
            stage_triggers = self._when(source, stage, stages, triggers)
            inputs = [m for m in _INPUT.finditer(own) if stage.body_start <= m.start() <= stage.body_end]
            own_gate = self._gate(source, stage, inputs[0].start(), stage_triggers) if inputs else None
            if own_gate is not None:
                gates.append(own_gate)
            if not steps:
                continue
            first_step = min(s.line for s in steps)
            gate = next((g for g in gates if g.line <= first_step and g.applies_to(stage_triggers, triggers)), None)
            # An `input` after this stage's first step holds only what follows it.
            hold = own_gate if own_gate is not None and own_gate.line > first_step else None
            job = Job(
                ci=CI,
                pipeline=file.path,
                job=stage.name,
                index=len(jobs),
                line=source.count("\n", 0, stage.start) + 1,
                triggers=stage_triggers,
                names=[stage.name, *names],
                manual=gate is not None,
                manual_how=gate.parts if gate else (),
                gate_line=gate.line if gate else 0,
                hold_how=hold.parts if hold else (),
                hold_line=hold.line if hold else 0,
                needs=[jobs[-1].job] if jobs else [],
            )
            job.steps = steps
            jobs.append(job)
        out.records.extend(job.to_record() for job in jobs)
        out.facts.extend(self._alerts(file, source))
        return out

    @staticmethod
    def _gate(source: str, stage: _Stage, offset: int, stage_triggers: list[Trigger]) -> _Gate:
        message = _MESSAGE.search(source, offset, offset + 300)
        parts = text(
            Code("input"),
            " in stage ",
            Code(stage.name),
            *((" (", Code(message.group("value")), ")") if message else ()),
        )
        return _Gate(parts, source.count("\n", 0, offset) + 1, [t.label() for t in stage_triggers])

    # -- structure ----------------------------------------------------------------------------

    @staticmethod
    def _stages(source: str) -> list[_Stage]:
        stages: list[_Stage] = []
        for match in _STAGE.finditer(source):
            open_brace = match.end() - 1
            end = block_end(source, open_brace)
            stages.append(_Stage(match.group("name"), match.start(), open_brace, end))
        for i, stage in enumerate(stages):
            for j in range(i - 1, -1, -1):
                if stages[j].body_start < stage.start < stages[j].body_end:
                    stage.parent = j
                    break
        return stages

    @staticmethod
    def _own_text(source: str, stage: _Stage, stages: list[_Stage]) -> str:
        """The source with everything outside this stage, and its nested stages, blanked."""
        chars = [c if c == "\n" else " " for c in source]
        chars[stage.body_start : stage.body_end + 1] = source[stage.body_start : stage.body_end + 1]
        for other in stages:
            if stage.body_start < other.start < stage.body_end:
                chars[other.start : other.body_end + 1] = [
                    c if c == "\n" else " " for c in source[other.start : other.body_end + 1]
                ]
        return "".join(chars)

    @staticmethod
    def _block(source: str, keyword: str, start: int, end: int) -> str | None:
        match = re.compile(rf"\b{keyword}\s*\{{").search(source, start, end)
        if not match:
            return None
        try:
            close = block_end(source, match.end() - 1)
        except JenkinsParseError:
            return source[match.end() : end]  # unclosed: the balance check reports it; read to the end
        return source[match.end() : close]

    # -- triggers -----------------------------------------------------------------------------

    def _triggers(self, source: str) -> list[Trigger]:
        block = self._block(source, "triggers", 0, len(source)) or ""
        found = [Trigger("schedule", m.group("value")) for m in _CRON.finditer(block)]
        if _POLL.search(block):
            found.append(Trigger("external", "SCM polling (pollSCM)"))
        found.extend(Trigger("external", f"after Jenkins job {m.group('value')}") for m in _UPSTREAM.finditer(block))
        # `triggers {}` adds to what starts the job (SCM hooks, people); it does not replace it.
        return [Trigger("external", "every build of the Jenkins job (its triggers are set in Jenkins)"), *found]

    def _when(self, source: str, stage: _Stage, stages: list[_Stage], triggers: list[Trigger]) -> list[Trigger]:
        """The pipeline's triggers narrowed by this stage's `when` and its parents'."""
        current: _Stage | None = stage
        narrowed = triggers
        while current is not None:
            own = self._own_text(source, current, stages)
            block = self._block(own, "when", current.body_start, current.body_end)
            if block:
                found = self._conditions(block)
                if found:
                    narrowed = found
            current = stages[current.parent] if current.parent is not None else None
        return narrowed

    @staticmethod
    def _conditions(block: str) -> list[Trigger]:
        if re.search(r"\bnot\s*\{", block):
            return []  # negations narrow in ways a list of triggers cannot say; keep the pipeline's
        found = [Trigger("push", m.group("value")) for m in _BRANCH.finditer(block)]
        for m in _EXPR_BRANCH.finditer(block):
            found.extend(Trigger("push", b) for b in m.group("value").split("|") if b)
        found.extend(Trigger("tag", m.group("value")) for m in _TAG.finditer(block))
        if re.search(r"\bbuildingTag\s*\(\s*\)", block):
            found.append(Trigger("tag"))
        if re.search(r"\bchangeRequest\s*\(", block):
            found.append(Trigger("pull_request"))
        if re.search(r"""\btriggeredBy\s+['"](?:TimerTrigger|cron)""", block):
            found.append(Trigger("schedule", "timer"))
        return found

    # -- steps --------------------------------------------------------------------------------

    def _steps(self, file: SourceFile, source: str, own: str, stage: _Stage) -> list[Step]:
        found: list[tuple[int, Step]] = []
        for match in _SHELL.finditer(own, stage.body_start, stage.body_end):
            quote_at = match.start("q")
            end = _skip_string(source, quote_at)
            quote = match.group("q")
            body = source[quote_at + len(quote) : end - len(quote)]
            line = source.count("\n", 0, quote_at) + 1
            commands = [(c.text, line + c.offset) for c in split_commands(_unescape(body, quote))]
            if commands:
                found.append((match.start(), Step(title=commands[0][0], line=line, commands=commands)))
        for match, step_match in step_catalog().jenkins(own[stage.body_start : stage.body_end]):
            if step_match.does:
                offset = stage.body_start + match.start()
                line = source.count("\n", 0, offset) + 1
                found.append(
                    (
                        offset,
                        Step(
                            title=match.group(0).strip("( "),
                            line=line,
                            does=step_match.does,
                            ref=match.group(0).strip("( "),
                        ),
                    )
                )
        return [step for _, step in sorted(found, key=lambda f: f[0])]

    def _alerts(self, file: SourceFile, source: str) -> list[Fact]:
        facts = []
        post = re.search(r"\bpost\s*\{", source)
        for match, step_match in step_catalog().jenkins(source):
            if not step_match.alert:
                continue
            line = source.count("\n", 0, match.start()) + 1
            inside = post is not None and post.start() < match.start()
            section = (
                re.findall(
                    r"\b(failure|unstable|success|always|fixed|regression|aborted|changed)\s*\{",
                    source[post.start() : match.start()],
                )
                if inside and post
                else []
            )
            where = text(" (", Code(f"post {{ {section[-1]} }}"), ")") if section else ()
            facts.append(alert_fact(self, file.path, line, step_match.alert, where))
        return facts

    def resolve(self, ctx: ResolveContext) -> list[Fact]:
        return PipelineFacts(self, ctx).facts()


def _unescape(body: str, quote: str) -> str:
    """Groovy escapes in a single- or double-quoted string (`\\'`, `\\"`, `\\$`, `\\\\`)."""
    if quote in ("'''", '"""'):
        return body.replace("\\\n", " ").replace("\\$", "$")
    return re.sub(r"\\(['\"$\\])", r"\1", body)
