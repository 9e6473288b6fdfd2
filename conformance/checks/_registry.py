"""The check registry: how checks are declared, selected and run (modelled on `@schemathesis.check`).

A check is a small pure function `(exchange, ctx) -> Iterable[Failure]`. It is registered under a
stable dotted id (`<group>.<name>`, documented in docs/checks.md) with a default severity; the
runner turns each Failure into a Finding carrying the id, the operation and a curl reproducer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from conformance._exchange import Exchange, Finding, Scenario, Severity
from conformance._reproduce import curl_command

__all__ = [
    "ScenarioCheckInfo",
    "registered_scenario_checks",
    "run_scenario_checks",
    "scenario_check",
    "CheckContext",
    "CheckFunc",
    "CheckInfo",
    "Failure",
    "check",
    "registered_checks",
    "run_checks",
]

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


CheckFunc = Callable[[Exchange, CheckContext], Iterable[Failure]]


@dataclass(frozen=True)
class CheckInfo:
    id: str
    group: str
    severity: Severity
    description: str
    func: CheckFunc


_REGISTRY: dict[str, CheckInfo] = {}


def check(
    id: str, *, group: str, severity: Severity = "error", description: str = ""
) -> Callable[[CheckFunc], CheckFunc]:
    """Register a check under a stable id. The description defaults to the docstring's first line."""
    if not _ID.match(id) or not id.startswith(group + "."):
        raise ValueError(f"check id {id!r} must be lowercase dotted and start with its group {group!r}")
    if severity not in ("error", "warning"):
        raise ValueError(f"check {id!r}: unknown severity {severity!r}")

    def register(func: CheckFunc) -> CheckFunc:
        existing = _REGISTRY.get(id)
        # Re-registering the same function (a module reloaded) is harmless; two functions on one id is a bug.
        if existing is not None and _qualname(existing.func) != _qualname(func):
            raise ValueError(f"check id {id!r} is already registered by {_qualname(existing.func)}")
        doc = (func.__doc__ or "").strip().splitlines()
        _REGISTRY[id] = CheckInfo(id, group, severity, description or (doc[0] if doc else ""), func)
        return func

    return register


def _qualname(func: CheckFunc) -> str:
    return f"{getattr(func, '__module__', '?')}.{getattr(func, '__qualname__', repr(func))}"


def registered_checks() -> list[CheckInfo]:
    """Every registered check, sorted by id."""
    return sorted(_REGISTRY.values(), key=lambda info: info.id)


def run_checks(
    exchange: Exchange,
    ctx: CheckContext | None = None,
    *,
    select: Callable[[CheckInfo], bool] | None = None,
) -> list[Finding]:
    """Run the (selected) checks on one exchange and collect their findings.

    A check that crashes is itself reported (as `<id>` with severity error) rather than aborting
    the run: one broken check must not hide what the others found.
    """
    ctx = ctx if ctx is not None else CheckContext()
    reproducer: str | None = None
    findings: list[Finding] = []
    for info in registered_checks():
        if select is not None and not select(info):
            continue
        try:
            failures = list(info.func(exchange, ctx))
        except Exception as exc:  # noqa: BLE001 - reported, see docstring
            failures = [Failure(f"the check crashed: {type(exc).__name__}: {exc}", severity="error")]
        for failure in failures:
            if reproducer is None:
                reproducer = curl_command(exchange.request)
            findings.append(
                Finding(
                    check_id=info.id,
                    severity=failure.severity or info.severity,
                    message=failure.message,
                    operation_id=exchange.operation_id,
                    location=failure.location,
                    reproducer=reproducer,
                )
            )
    return findings


# -- scenario checks: pure functions over several exchanges that only mean something together ---

ScenarioFunc = Callable[[Scenario, CheckContext], Iterable[Failure]]


@dataclass(frozen=True)
class ScenarioCheckInfo(CheckInfo):
    kind: str = ""
    """The Scenario.kind the check judges (`stream_pair`, `pagination`, ...)."""


_SCENARIO_REGISTRY: dict[str, ScenarioCheckInfo] = {}


def scenario_check(
    id: str, *, kind: str, group: str, severity: Severity = "error", description: str = ""
) -> Callable[[ScenarioFunc], ScenarioFunc]:
    """Register a check over a Scenario of the given kind (same id rules as `check`)."""
    if not _ID.match(id) or not id.startswith(group + "."):
        raise ValueError(f"check id {id!r} must be lowercase dotted and start with its group {group!r}")
    if id in _REGISTRY:
        raise ValueError(f"check id {id!r} is already registered for single exchanges")

    def register(func: ScenarioFunc) -> ScenarioFunc:
        doc = (func.__doc__ or "").strip().splitlines()
        _SCENARIO_REGISTRY[id] = ScenarioCheckInfo(
            id, group, severity, description or (doc[0] if doc else ""), func, kind=kind  # type: ignore[arg-type]
        )
        return func

    return register


def registered_scenario_checks() -> list[ScenarioCheckInfo]:
    return sorted(_SCENARIO_REGISTRY.values(), key=lambda info: info.id)


def run_scenario_checks(
    scenario: Scenario, ctx: CheckContext | None = None, *, select: Callable[[CheckInfo], bool] | None = None
) -> list[Finding]:
    """Run the (selected) scenario checks of the scenario's kind; crashes are reported like `run_checks`."""
    ctx = ctx if ctx is not None else CheckContext()
    findings: list[Finding] = []
    for info in registered_scenario_checks():
        if info.kind != scenario.kind or (select is not None and not select(info)):
            continue
        try:
            failures = list(info.func(scenario, ctx))  # type: ignore[arg-type]
        except Exception as exc:  # noqa: BLE001 - one broken check must not hide the others
            failures = [Failure(f"the check crashed: {type(exc).__name__}: {exc}", severity="error")]
        for failure in failures:
            first = scenario.exchanges[0].request if scenario.exchanges else None
            findings.append(Finding(
                check_id=info.id,
                severity=failure.severity or info.severity,
                message=failure.message,
                operation_id=scenario.operation_id,
                location=failure.location,
                reproducer=curl_command(first) if first is not None else None,
            ))
    return findings
