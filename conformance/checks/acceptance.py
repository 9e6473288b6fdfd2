"""Group `acceptance`: did the target accept what it should and reject what it should?

These checks use `Exchange.expectation`, set by the engine for generated requests (recorded
traffic has none, so they stay silent there). Faults the request asked for are not judged.
"""

from __future__ import annotations

from collections.abc import Iterator

from conformance._exchange import Exchange, Severity
from conformance.checks._registry import CheckContext, Failure, check

FAULT_HEADER = "x-conformance-fault"


def _injected(exchange: Exchange) -> bool:
    return FAULT_HEADER in exchange.request.headers


@check("acceptance.no_server_error", group="acceptance")
def no_server_error(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    """A request the engine generated, valid or not, never gets a 5xx (bad input is the client's error)."""
    status = exchange.response.status
    if exchange.expectation is not None and status >= 500 and not _injected(exchange):
        which = f" ({exchange.label!r})" if exchange.label else ""  # quoted: the same departure on any request
        yield Failure(f"status {status} for a {exchange.expectation} request{which} (expected a 2xx or 4xx)",
                      location="status")


@check("acceptance.invalid_rejected", group="acceptance")
def invalid_rejected(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    """A request that violates the contract gets a 4xx (400 invalid_request_error), not a 2xx.

    Compatible servers are often lenient on purpose; profiles with `negative = "lenient"` report
    this as a warning.
    """
    if exchange.expectation != "invalid" or exchange.expected_status is not None:
        return  # probes with a known answer are judged by acceptance.expected_status
    if not 200 <= exchange.response.status < 300:
        return
    severity: Severity | None = "warning" if ctx.options.get("negative") == "lenient" else None
    yield Failure(f"an invalid request was accepted with status {exchange.response.status}", severity=severity)


def _version_gated(exchange: Exchange, ctx: CheckContext) -> list[str]:
    """Why the request is not for its own API version without a beta (the contract's
    `x-anthropic-version-ga` marks: system-role messages before 2026-10-21); [] when it is."""
    request = exchange.request
    version = request.headers.get("anthropic-version", "")
    if ctx.contract is None or version not in ctx.contract.api_versions:
        return []
    beta = "anthropic-beta" in request.headers or "beta=true" in request.query.split("&")
    reasons: list[str] = ctx.contract.gated_messages(request.json(), version, beta=beta)
    return reasons


@check("acceptance.valid_accepted", group="acceptance", severity="warning")
def valid_accepted(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    """A schema-valid request is accepted. A warning only: a schema cannot state every rule
    (budget_tokens below max_tokens, tool_result after tool_use...), so a 400 can be right, and
    is right for what the request's API version has only as a beta."""
    status = exchange.response.status
    if exchange.expectation == "valid" and 400 <= status < 500 and status not in (401, 404, 429):
        if status == 400 and _version_gated(exchange, ctx):
            return
        yield Failure(f"a schema-valid request was rejected with status {status}")


@check("acceptance.api_version", group="acceptance", severity="warning")
def api_version(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    """What an API version has only as a beta (system-role messages before 2026-10-21), sent
    with that version and no beta, is rejected with 400; a server that accepts it is lenient
    about versions (clients written against it break on the real API)."""
    status = exchange.response.status
    if 200 <= status < 300 and not _injected(exchange):
        for reason in _version_gated(exchange, ctx)[:1]:
            yield Failure(f"{reason}: accepted with status {status} under anthropic-version "
                          f"{exchange.request.headers.get('anthropic-version')}")


@check("acceptance.expected_status", group="acceptance")
def expected_status(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    """A probe whose answer the API fixes (no key → 401, no version → 400, malformed JSON → 400,
    unknown route → 404, unknown model → 404...) gets that status. Accepting it instead is a
    warning under `negative = "lenient"`."""
    wanted = exchange.expected_status
    status = exchange.response.status
    if wanted is None or status == wanted or (status >= 500 and exchange.expectation is not None):
        return  # a server error is acceptance.no_server_error's finding: one cause, one finding
    # A stricter answer is never judged more harshly than a lenient one (docs/checks.md, "Negative
    # cases"): another 4xx where the API rejects is a warning, as accepting is on lenient profiles.
    rejected_otherwise = 400 <= wanted < 500 and 400 <= status < 500
    lenient = ctx.options.get("negative") == "lenient" and 200 <= status < 300
    yield Failure(f"{exchange.label or 'the probe'}: status {status}, the API answers {wanted}",
                  severity="warning" if lenient or rejected_otherwise else None)
