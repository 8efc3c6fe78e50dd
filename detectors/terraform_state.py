"""Where Terraform keeps state: one line per environment and backend, from root modules and Terragrunt units.

A root module's `backend` block and a Terragrunt `remote_state` block (usually in `root.hcl`, written
once and evaluated for every unit that includes it) both say the same thing: this configuration's
state lives at this bucket and key. Roots that name the same bucket and key share one state, so they
cannot both be applied there: they are alternatives (terraform-example-foundation's two network
stages), and the line says so instead of counting them as separate stacks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from infrascan import redact
from infrascan.model import Code, Confidence, Evidence, Fact, Part, phrase_list, text


@dataclass(frozen=True)
class StateUse:
    """One root module or Terragrunt unit keeping its state in a backend."""

    owner: str  # the root module's directory or the unit's directory
    unit: bool  # a Terragrunt unit (else a root module)
    key: str | None  # `key` (s3, azurerm) or `prefix` (gcs), evaluated
    bucket: str | None  # the bucket as written, evaluated
    evidence: tuple[Evidence, ...]
    bucket_note: str | None = None  # an environment variable the bucket name also reads
    lock: str | None = None  # s3: the DynamoDB lock table (`dynamodb_table`), or LOCKFILE (`use_lockfile`)
    encrypted: bool = False  # s3: `encrypt = true`


# `use_lockfile = true` (Terraform 1.10+): the lock is a file beside the state, no table
LOCKFILE = "\0lockfile"


# the s3 backend settings `s3_protection` reads
S3_PROTECTION = ("dynamodb_table", "use_lockfile", "encrypt")


def s3_protection(settings: Mapping[str, str | None]) -> tuple[str | None, bool]:
    """An s3 backend's lock and encryption, from its S3_PROTECTION settings as plain text: what an
    operator must know exists (a lock table shared by every stack) or holds (state encrypted at rest)."""
    lock = LOCKFILE if settings.get("use_lockfile") == "true" else settings.get("dynamodb_table")
    return lock, settings.get("encrypt") == "true"


def _owners(uses: list[StateUse]) -> str:
    roots = sum(1 for u in uses if not u.unit)
    units = len(uses) - roots
    said = [
        f"{n} {what}{'s' if n != 1 else ''}" for n, what in ((roots, "root module"), (units, "Terragrunt unit")) if n
    ]
    return " and ".join(said)


def _shown_bucket(uses: list[StateUse]) -> list[Part]:
    """`, bucket `x`` when every use names the same bucket and it is a real name (not `UPDATE_ME`)."""
    buckets = {u.bucket for u in uses}
    if len(buckets) != 1:
        return []
    bucket = buckets.pop()
    if not bucket or redact.is_placeholder(bucket):
        return []
    shown = redact.scrub(bucket)
    notes = sorted({u.bucket_note for u in uses if u.bucket_note})
    tail: list[Part] = [" (when ", Code(notes[0]), " is unset)"] if notes else []
    return [", bucket ", Code(shown), *tail]


def _protection(uses: list[StateUse]) -> list[Part]:
    """`, locked by DynamoDB table `t`, encrypted` when every use says so alike."""
    parts: list[Part] = []
    locks = {u.lock for u in uses}
    lock = locks.pop() if len(locks) == 1 else None
    if lock == LOCKFILE:
        parts.append(", locked by a lock file beside the state")
    elif lock and not redact.is_placeholder(lock):
        parts.extend([", locked by DynamoDB table ", Code(redact.scrub(lock))])
    if all(u.encrypted for u in uses):
        parts.append(", encrypted")
    return parts


def _shared(uses: list[StateUse]) -> list[Part]:
    """`; `a` and `b` declare the same state (`k`): ...` for owners naming the same bucket and key."""
    groups: dict[tuple[str | None, str], list[str]] = defaultdict(list)
    for use in uses:
        if use.key:
            groups[(use.bucket, use.key)].append(use.owner)
    parts: list[Part] = []
    for (_, key), owners in sorted(groups.items(), key=lambda kv: kv[0][1]):
        if len(owners) < 2:
            continue
        parts.extend(["; ", *phrase_list([Code(name)] for name in sorted(owners))])
        parts.extend([" declare the same state (", Code(key), "): alternatives, not separate stacks"])
    return parts


def state_fact(env: str, backend: str, uses: list[StateUse]) -> Fact:
    """`Terraform state in the `gcs` backend (5 root modules): a, b, c and 1 more; x and y declare the same state`."""
    ordered = sorted(uses, key=lambda u: u.owner)
    evidence = tuple(dict.fromkeys(e for u in ordered for e in u.evidence))
    named = sorted({redact.scrub(u.key) for u in ordered if u.key})
    owners = f" ({_owners(ordered)})" if len(ordered) > 1 else ""
    parts: list[Part] = ["Terraform state in the ", Code(backend), " backend", *_shown_bucket(ordered),
                         *_protection(ordered), owners]
    for index, key in enumerate(named[:3]):
        parts.extend([": " if index == 0 else ", ", Code(key)])
    if len(named) > 3:
        parts.append(f" and {len(named) - 3} more")
    parts.extend(_shared(ordered))
    return Fact(
        "env.special",
        text(*parts),
        Confidence.DECLARED,
        evidence,
        env=env,
        item=f"backend:{backend}",
        rank=45,
        order=(evidence[0].path, evidence[0].line),
    )
