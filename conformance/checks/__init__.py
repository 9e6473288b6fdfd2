"""Checks: small pure functions registered under stable ids (docs/checks.md).

    from conformance.checks import run_checks
    findings = run_checks(exchange, CheckContext(contract=load_contract()))

A check takes `(exchange, ctx)`, or `(scenario, ctx)` for a typed scenario (`on=StreamPair`...) when
only several exchanges show it (a stream and its non-stream twin, a pagination walk, a batch's life).
Importing this package registers the built-in checks.
"""

from conformance.checks._registry import (
    CheckContext,
    CheckFunc,
    CheckInfo,
    Failure,
    check,
    registered_checks,
    run_checks,
)

# Imported for their side effect: each module registers its checks.
from conformance.checks import acceptance, errors, meaning, scenarios, schema, stream, transport  # noqa: E402, F401  isort: skip

__all__ = [
    "CheckContext",
    "CheckFunc",
    "CheckInfo",
    "Failure",
    "check",
    "registered_checks",
    "run_checks",
]
