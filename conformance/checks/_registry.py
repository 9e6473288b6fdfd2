"""The check registry: how checks are declared, selected and run (modelled on `@schemathesis.check`).

A check is a small pure function `(subject, ctx) -> Iterable[Failure]` over one exchange, or over a
typed scenario (`conformance._exchange.StreamPair`, `PaginationWalk`, ...) for what only several
exchanges together show. It is registered under a stable dotted id (`<group>.<name>`, documented in
docs/checks.md) with a default severity and the type of subject it judges; `run_checks` runs the
checks registered for its subject's type and turns each Failure into a Finding carrying the id,
the operation and a curl reproducer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from conformance._exchange import Exchange, Finding, Scenario, Severity
from conformance._reproduce import curl_command

__all__ = [
    "CheckContext",
    "CheckFunc",
    "CheckInfo",
    "Failure",
    "check",
    "registered_checks",
    "run_checks",
]

TRANSPORT_GROUP = "transport"
"""The checks that judge a response which did not arrive whole (conformance.checks.transport)."""
_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


@dataclass(frozen=True)
class Failure:
    """What a check yields; the runner turns it into a Finding."""

    message: str
    location: str | None = None
    severity: Severity | None = None
    """None: the check's default severity."""


@dataclass
class CheckContext:
    """What a check may know beyond the exchange itself."""

    contract: Any = None
    """A conformance.contract.Contract, when the run has one."""
    options: Mapping[str, Any] = field(default_factory=dict)
    """Profile knobs, e.g. {"count_tokens_tolerance": 0.0}."""


CheckFunc = Callable[[Any, CheckContext], Iterable[Failure]]
F = TypeVar("F", bound=CheckFunc)


@dataclass(frozen=True)
class CheckInfo:
    id: str
    group: str
    severity: Severity
    description: str
    func: CheckFunc
    subject: type = Exchange
    """What the check judges: one Exchange, or a Scenario type."""

    @property
    def scenario(self) -> bool:
        return self.subject is not Exchange


_REGISTRY: dict[str, CheckInfo] = {}


def check(
    id: str, *, group: str, severity: Severity = "error", description: str = "", on: type = Exchange
) -> Callable[[F], F]:
    """Register a check of `on` (an Exchange, or a Scenario type) under a stable id. The
    description defaults to the docstring's first line."""
    if not _ID.match(id) or not id.startswith(group + "."):
        raise ValueError(f"check id {id!r} must be lowercase dotted and start with its group {group!r}")
    if severity not in ("error", "warning"):
        raise ValueError(f"check {id!r}: unknown severity {severity!r}")
    if on is not Exchange and not (isinstance(on, type) and issubclass(on, Scenario)):
        raise ValueError(f"check {id!r}: judges an Exchange or a Scenario type, not {on!r}")

    def register(func: F) -> F:
        existing = _REGISTRY.get(id)
        # Re-registering the same function (a module reloaded) is harmless; two functions on one id is a bug.
        if existing is not None and _qualname(existing.func) != _qualname(func):
            raise ValueError(f"check id {id!r} is already registered by {_qualname(existing.func)}")
        doc = (func.__doc__ or "").strip().splitlines()
        _REGISTRY[id] = CheckInfo(id, group, severity, description or (doc[0] if doc else ""), func, on)
        return func

    return register


def _qualname(func: CheckFunc) -> str:
    return f"{getattr(func, '__module__', '?')}.{getattr(func, '__qualname__', repr(func))}"


def registered_checks() -> list[CheckInfo]:
    """Every registered check, sorted by id."""
    return sorted(_REGISTRY.values(), key=lambda info: info.id)


def run_checks(
    subject: Exchange | Scenario,
    ctx: CheckContext | None = None,
    *,
    select: Callable[[CheckInfo], bool] | None = None,
) -> list[Finding]:
    """Run the (selected) checks registered for the subject's type and collect their findings.

    A check that crashes is itself reported (as `<id>` with severity error) rather than aborting
    the run: one broken check must not hide what the others found.

    A response that did not arrive whole (`Response.failure`) is judged by the `transport` group
    alone, and a scenario holding one is not judged as a whole: one cause, one finding.
    """
    ctx = ctx if ctx is not None else CheckContext()
    exchanges = [subject] if isinstance(subject, Exchange) else subject.exchanges
    broken = any(exchange.response.failure is not None for exchange in exchanges)
    reproducer: str | None = None
    findings: list[Finding] = []
    for info in registered_checks():
        if info.subject is not type(subject) or (broken and (info.scenario or info.group != TRANSPORT_GROUP)):
            continue
        if select is not None and not select(info):
            continue
        try:
            failures = list(info.func(subject, ctx))
        except Exception as exc:  # noqa: BLE001 - reported, see docstring
            failures = [Failure(f"the check crashed: {type(exc).__name__}: {exc}", severity="error")]
        for failure in failures:
            if reproducer is None and exchanges:
                reproducer = curl_command(exchanges[0].request)
            findings.append(
                Finding(
                    check_id=info.id,
                    severity=failure.severity or info.severity,
                    message=failure.message,
                    operation_id=subject.operation_id,
                    location=failure.location,
                    reproducer=reproducer,
                )
            )
    return findings
