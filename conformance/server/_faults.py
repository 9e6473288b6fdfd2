"""Fault injection for client tests, chosen per request with the `x-conformance-fault` header.

The header holds directives separated by commas (or semicolons), each `name` or `name=value`:

| directive | effect |
|---|---|
| `overloaded[=S]` | 529 `overloaded_error`, `retry-after: S` (default 1) |
| `rate_limit[=S]` | 429 `rate_limit_error`, `retry-after: S` (default 1), `anthropic-ratelimit-*-remaining: 0` |
| `server_error` | 500 `api_error` |
| `status=N` | status N (400..599) with the error type the API uses for it (`api_error` if none) |
| `stream_error_after=N` | streams only: after N events, an `event: error` (`overloaded_error`) ends the stream |
| `stream_error_type=T` | the `error.type` of that event (default `overloaded_error`) |
| `delay_ms=N` | wait N ms (0..60000) before each stream event after the first, or before a JSON answer |
| `refusal` | Messages: `stop_reason: "refusal"` with `stop_details`, a short text and no tool use |
| `pause_turn` | Messages: `stop_reason: "pause_turn"` and no tool use |
| `should_retry=B` | the status fault's `x-should-retry` header (`true`/`false`), e.g. a 529 the client must not retry |
| `until_retry=N` | apply the status faults only while `x-stainless-retry-count` < N: `overloaded,until_retry=1` fails the first attempt and lets the SDK's retry succeed |

Status faults apply to every route and come after authentication and version checks; the others
apply to `/v1/messages` (and `/v1/complete` for the stream ones). An unknown directive or a bad
value is a 400 naming the header, so a typo never silently disables a fault.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from conformance.server._errors import STATUS_ERROR_TYPES, ApiError

FAULT_HEADER = "x-conformance-fault"
RETRY_COUNT_HEADER = "x-stainless-retry-count"
Outcome = Literal["refusal", "pause_turn"]

_STATUS_FAULTS: dict[str, tuple[int, str]] = {
    "overloaded": (529, "Overloaded"),
    "rate_limit": (429, "Number of request tokens has exceeded your per-minute rate limit (injected fault)"),
    "server_error": (500, "Internal server error (injected fault)"),
}
_ERROR_TYPES = frozenset(STATUS_ERROR_TYPES.values())


@dataclass(frozen=True)
class Faults:
    status: int | None = None
    message: str = ""
    retry_after: float | None = None
    until_retry: int | None = None
    should_retry: bool | None = None
    stream_error_after: int | None = None
    stream_error_type: str = "overloaded_error"
    delay_ms: int = 0
    outcome: Outcome | None = None

    @property
    def delay(self) -> float:
        return self.delay_ms / 1000.0

    def status_error(self, retry_count: int) -> ApiError | None:
        """The error a status fault answers with, or None when there is none (or it has expired)."""
        if self.status is None or (self.until_retry is not None and retry_count >= self.until_retry):
            return None
        headers: dict[str, str] = {}
        if self.retry_after is not None:
            headers["retry-after"] = _number_text(self.retry_after)
        if self.should_retry is not None:
            headers["x-should-retry"] = "true" if self.should_retry else "false"
        if self.status == 429:
            headers.update({f"anthropic-ratelimit-{kind}-remaining": "0" for kind in ("requests", "tokens", "input-tokens", "output-tokens")})
        return ApiError(self.status, self.message or f"injected fault: status {self.status}",
                        error_type=STATUS_ERROR_TYPES.get(self.status, "api_error"), headers=headers)


NO_FAULTS = Faults()


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _bad(directive: str, why: str) -> ApiError:
    return ApiError(400, f"{FAULT_HEADER}: {why} in {directive!r}")


def _int_value(directive: str, value: str | None, low: int, high: int) -> int:
    try:
        number = int(value or "")
    except ValueError:
        raise _bad(directive, "expected an integer") from None
    if not low <= number <= high:
        raise _bad(directive, f"expected a value in {low}..{high}")
    return number


def _seconds(directive: str, value: str | None) -> float:
    if value is None:
        return 1.0
    try:
        seconds = float(value)
    except ValueError:
        raise _bad(directive, "expected seconds") from None
    if not 0 <= seconds <= 3600:
        raise _bad(directive, "expected seconds in 0..3600")
    return seconds


def parse_faults(header: str | None) -> Faults:
    """Parse the header's value; raises ApiError(400) for anything it does not understand."""
    if not header or not header.strip():
        return NO_FAULTS
    fields: dict[str, object] = {}
    for raw in header.replace(";", ",").split(","):
        directive = raw.strip()
        if not directive:
            continue
        name, _, value = directive.partition("=")
        name, arg = name.strip().lower(), (value.strip() if value else None)
        if name in _STATUS_FAULTS:
            fields["status"], fields["message"] = _STATUS_FAULTS[name]
            fields["retry_after"] = _seconds(directive, arg) if name != "server_error" else None
        elif name == "status":
            fields["status"] = _int_value(directive, arg, 400, 599)
        elif name == "until_retry":
            fields["until_retry"] = _int_value(directive, arg, 1, 100)
        elif name == "should_retry":
            if arg not in ("true", "false"):
                raise _bad(directive, "expected true or false")
            fields["should_retry"] = arg == "true"
        elif name == "stream_error_after":
            fields["stream_error_after"] = _int_value(directive, arg, 0, 1_000_000)
        elif name == "stream_error_type":
            if arg not in _ERROR_TYPES:
                raise _bad(directive, f"expected one of {', '.join(sorted(_ERROR_TYPES))}")
            fields["stream_error_type"] = arg
        elif name == "delay_ms":
            fields["delay_ms"] = _int_value(directive, arg, 0, 60_000)
        elif name in ("refusal", "pause_turn") and arg is None:
            fields["outcome"] = name
        else:
            raise _bad(directive, "unknown fault")
    return Faults(**fields)  # type: ignore[arg-type]
