"""Checks: small pure functions registered under stable ids (docs/checks.md).

    from conformance.checks import run_checks
    findings = run_checks(exchange, CheckContext(contract=load_contract()))

Single-exchange checks take `(exchange, ctx)`; scenario checks take `(scenario, ctx)` for what only
several exchanges show (a stream and its non-stream twin, a pagination walk, a batch's life).
Importing this package registers the built-in checks.
"""

from conformance.checks._registry import (
    CheckContext,
    CheckFunc,
    CheckInfo,
    Failure,
    ScenarioCheckInfo,
    check,
    registered_checks,
    registered_scenario_checks,
    run_checks,
    run_scenario_checks,
    scenario_check,
)

# Imported for their side effect: each module registers its checks.
from conformance.checks import acceptance, errors, meaning, scenarios, schema, stream  # noqa: E402, F401  isort: skip

__all__ = [
    "CheckContext",
    "CheckFunc",
    "CheckInfo",
    "Failure",
    "ScenarioCheckInfo",
    "check",
    "registered_checks",
    "registered_scenario_checks",
    "run_checks",
    "run_scenario_checks",
    "scenario_check",
]
