"""The template's fields as data.

Every fact a detector emits names one of these field ids. The renderer, the coverage count, the
document reader and drift all walk this one table, so the template's structure lives in exactly
one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Scope(str, Enum):
    """Where a field lives: once per environment block, once per external service, or once."""

    ENVIRONMENT = "environment"
    SERVICE = "service"
    DOCUMENT = "document"


class Shape(str, Enum):
    """How a field's facts are laid out: one best value (others listed as "also"), or a list."""

    SINGLE = "single"
    LIST = "list"
    STEPS = "steps"  # an ordered, numbered list (build steps, deployment steps)


@dataclass(frozen=True)
class FieldSpec:
    id: str
    label: str
    scope: Scope
    shape: Shape
    section: str


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("env.url", "URL", Scope.ENVIRONMENT, Shape.SINGLE, "Environments"),
    FieldSpec("env.database", "Database", Scope.ENVIRONMENT, Shape.LIST, "Environments"),
    FieldSpec("env.special", "Special configurations", Scope.ENVIRONMENT, Shape.LIST, "Environments"),
    FieldSpec("env.purpose", "Purpose", Scope.ENVIRONMENT, Shape.LIST, "Environments"),
    FieldSpec("env.sla", "SLA", Scope.ENVIRONMENT, Shape.LIST, "Environments"),
    FieldSpec("ci.build", "Build Steps", Scope.DOCUMENT, Shape.STEPS, "CI/CD Pipeline"),
    FieldSpec("ci.test.unit", "Unit tests", Scope.DOCUMENT, Shape.LIST, "CI/CD Pipeline"),
    FieldSpec("ci.test.integration", "Integration tests", Scope.DOCUMENT, Shape.LIST, "CI/CD Pipeline"),
    FieldSpec("ci.test.e2e", "E2E tests", Scope.DOCUMENT, Shape.LIST, "CI/CD Pipeline"),
    FieldSpec("ci.deploy.manual", "Manual deployments", Scope.DOCUMENT, Shape.LIST, "CI/CD Pipeline"),
    FieldSpec("ci.deploy.automated", "Automated deployments", Scope.DOCUMENT, Shape.LIST, "CI/CD Pipeline"),
    FieldSpec("mon.tools", "Monitoring Tools", Scope.DOCUMENT, Shape.LIST, "Monitoring & Logging"),
    FieldSpec("mon.application", "Application monitoring", Scope.DOCUMENT, Shape.LIST, "Monitoring & Logging"),
    FieldSpec("mon.infrastructure", "Infrastructure monitoring", Scope.DOCUMENT, Shape.LIST, "Monitoring & Logging"),
    FieldSpec("mon.performance", "Performance monitoring", Scope.DOCUMENT, Shape.LIST, "Monitoring & Logging"),
    FieldSpec("log.aggregation", "Log aggregation", Scope.DOCUMENT, Shape.LIST, "Monitoring & Logging"),
    FieldSpec("log.levels", "Log levels", Scope.DOCUMENT, Shape.LIST, "Monitoring & Logging"),
    FieldSpec("log.retention", "Log retention", Scope.DOCUMENT, Shape.LIST, "Monitoring & Logging"),
    FieldSpec("alert.critical", "Critical alerts", Scope.DOCUMENT, Shape.LIST, "Monitoring & Logging"),
    FieldSpec("alert.warning", "Warning alerts", Scope.DOCUMENT, Shape.LIST, "Monitoring & Logging"),
    FieldSpec("alert.channels", "Alert channels", Scope.DOCUMENT, Shape.LIST, "Monitoring & Logging"),
    FieldSpec("deploy.steps", "Deployment Steps", Scope.DOCUMENT, Shape.STEPS, "Deployment Process"),
    FieldSpec(
        "deploy.rollback.identify", "Identify the need for rollback", Scope.DOCUMENT, Shape.LIST, "Deployment Process"
    ),
    FieldSpec("deploy.rollback.perform", "Perform the rollback", Scope.DOCUMENT, Shape.LIST, "Deployment Process"),
    FieldSpec("deploy.rollback.verify", "Verify the rollback", Scope.DOCUMENT, Shape.LIST, "Deployment Process"),
    FieldSpec("deploy.migration.strategy", "Migration strategy", Scope.DOCUMENT, Shape.LIST, "Deployment Process"),
    FieldSpec("deploy.migration.rollback", "Rollback strategy", Scope.DOCUMENT, Shape.LIST, "Deployment Process"),
    FieldSpec("ext.purpose", "Purpose", Scope.SERVICE, Shape.LIST, "External Services"),
    FieldSpec("ext.auth", "Authentication", Scope.SERVICE, Shape.LIST, "External Services"),
    FieldSpec("ext.rate_limits", "Rate limits", Scope.SERVICE, Shape.LIST, "External Services"),
    FieldSpec("ext.fallback", "Fallback strategy", Scope.SERVICE, Shape.LIST, "External Services"),
)

FIELD_BY_ID: dict[str, FieldSpec] = {f.id: f for f in FIELDS}

# Which fields each environment block shows. The template gives Development, Staging and
# Production different lines; other environments (qa, review/*, preview...) are not in the
# template, so they get the non-production set. "Special configurations" is added to Staging,
# Production and extra blocks only when there is evidence for it (the rule).
ENV_BLOCK_FIELDS: dict[str, tuple[str, ...]] = {
    "development": ("env.url", "env.database", "env.special"),
    "staging": ("env.url", "env.database", "env.purpose"),
    "production": ("env.url", "env.database", "env.sla"),
}
EXTRA_ENV_FIELDS: tuple[str, ...] = ("env.url", "env.database", "env.purpose")
OPTIONAL_ENV_FIELDS: tuple[str, ...] = ("env.special",)

SERVICE_FIELDS: tuple[str, ...] = ("ext.auth", "ext.rate_limits", "ext.fallback")


def field(field_id: str) -> FieldSpec:
    """Looks a field up, failing loudly: a detector naming an unknown field is a bug."""
    try:
        return FIELD_BY_ID[field_id]
    except KeyError:
        raise ValueError(f"unknown template field {field_id!r}") from None
